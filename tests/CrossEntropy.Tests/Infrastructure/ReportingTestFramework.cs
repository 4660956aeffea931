using System.Collections.Generic;
using System.Reflection;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("CrossEntropy.Tests.Infrastructure.ReportingTestFramework", "CrossEntropy.Tests")]

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>
/// xunit's test framework, which after the last test sends <see cref="Widths.Report"/> as a diagnostic message, so that
/// <c>dotnet test</c> prints which SIMD paths ran (xunit.runner.json turns diagnostic messages on).
/// </summary>
public sealed class ReportingTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    private sealed class Runner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink,
        IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        protected override Task BeforeTestAssemblyFinishedAsync()
        {
            DiagnosticMessageSink.OnMessage(new DiagnosticMessage(Widths.Report()));
            return base.BeforeTestAssemblyFinishedAsync();
        }
    }
}

using System;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.NativeAot;
using Perfolizer.Horology;
using Perfolizer.Metrology;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// One job for every benchmark: 25 warm-up iterations of 200 ms, then 15 measured iterations, in a process whose tiered JIT
/// starts counting calls at once (DOTNET_TC_CallCountingDelayMs=0): with the runtime's default delay, which restarts
/// whenever a method is compiled for the first time, a kernel or its peer sometimes ran its intermediate code for 7-8 s
/// and the final code only from the 11th measured iteration on. It is the default job, so command-line options such as
/// --iterationCount change it rather than add a second one. Rows are grouped by category; in a class with a baseline
/// BenchmarkDotNet also groups by parameters, so each ratio and speed-up compares with the peer on the same shape. Results
/// go to the console, a GitHub markdown report and a CSV report (times in ns, sizes in bytes, no units in the cells) that
/// docs/plots reads. With <paramref name="nativeAot"/>, every benchmark runs a second time, published with NativeAOT for the
/// instruction set of the machine it runs on, so that each NativeAOT row sits beside its JIT row.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig(bool nativeAot = false)
    {
        Job job = Job.Default
            .WithWarmupCount(25)
            .WithIterationTime(TimeInterval.FromMilliseconds(200))
            .WithIterationCount(15);
        Job jit = job.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_TC_CallCountingDelayMs", "0")).WithId("JIT");
        AddJob(nativeAot ? jit : jit.AsDefault());
        if (nativeAot)
        {
            AddJob(job
                .WithToolchain(NativeAotToolchain.CreateBuilder()
                    .UseNuGet()
                    .IlcInstructionSet("native")
                    .TargetFrameworkMoniker("net10.0")
                    .ToToolchain())
                .WithId("NativeAOT"));

            // Compiling the benchmarks with NativeAOT takes longer than BenchmarkDotNet's default five minutes on a small machine.
            WithBuildTimeout(TimeSpan.FromMinutes(30));
        }

        AddLogger(DefaultConfig.Instance.GetLoggers().ToArray());
        AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray());
        AddValidator(DefaultConfig.Instance.GetValidators().ToArray());
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddColumn(
            StatisticColumn.Median,
            BaselineColumn.Default,
            CategoriesColumn.Default,
            new SpeedUpColumn(),
            new SpeedUpOverOneThreadColumn(),
            new ElementsPerNanosecondColumn());
        AddDiagnoser(MemoryDiagnoser.Default);
        AddExporter(MarkdownExporter.GitHub, new CsvExporter(CsvSeparator.Comma, new SummaryStyle(
            CultureInfo.InvariantCulture,
            printUnitsInHeader: true,
            sizeUnit: SizeUnit.B,
            timeUnit: TimeUnit.Nanosecond,
            printUnitsInContent: false,
            printZeroValuesInContent: true,
            maxParameterColumnWidth: 20)));
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared));
    }
}

using System;
using System.Linq;
using BenchmarkDotNet.Running;

namespace CrossEntropy.Benchmarks;

public static class Program
{
    /// <summary>Runs the benchmarks BenchmarkDotNet's arguments select; <c>--aot</c> adds a NativeAOT run of each (see <see cref="BenchmarkConfig"/>).</summary>
    public static void Main(string[] args)
    {
        bool nativeAot = args.Contains("--aot", StringComparer.Ordinal);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
            .Run(args.Where(arg => arg != "--aot").ToArray(), new BenchmarkConfig(nativeAot));
    }
}

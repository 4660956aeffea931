using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace CrossEntropy.Benchmarks;

/// <summary>
/// One job for every benchmark: a warm-up long enough for tiered JIT to reach its final Vector512 code (it takes 1-4 s of
/// calls), then 15 measured iterations. Ratios are against the baseline of each category; a CSV is written for the chart.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        AddJob(Job.Default
            .WithWarmupCount(25)
            .WithIterationTime(TimeInterval.FromMilliseconds(200))
            .WithIterationCount(15)
            .WithMinIterationCount(15)
            .WithMaxIterationCount(15));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(CategoriesColumn.Default, StatisticColumn.Median, new ElementsPerNanosecondColumn());
        AddExporter(CsvMeasurementsExporter.Default);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}

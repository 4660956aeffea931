using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CrossEntropy.Benchmarks;

/// <summary>A numeric column computed from the median time of each case, printed with two decimals ("-" when not defined).</summary>
public abstract class MedianColumn : IColumn
{
    public abstract string ColumnName { get; }

    public abstract string Legend { get; }

    public string Id => GetType().Name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        Median(summary, benchmarkCase) is double median && Compute(summary, benchmarkCase, median) is double value
            ? value.ToString("0.00", CultureInfo.InvariantCulture)
            : "-";

    public virtual bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <summary>The column's value for a case whose median time is <paramref name="median"/> nanoseconds, or null.</summary>
    protected abstract double? Compute(Summary summary, BenchmarkCase benchmarkCase, double median);

    /// <summary>The median time of one call in nanoseconds, or null when the case did not run.</summary>
    protected static double? Median(Summary summary, BenchmarkCase? benchmarkCase) =>
        benchmarkCase is null ? null : summary[benchmarkCase]?.ResultStatistics?.Median;
}

/// <summary>Throughput: the batch's elements divided by the median time of one call.</summary>
public sealed class ElementsPerNanosecondColumn : MedianColumn
{
    public override string ColumnName => "Elements/ns";

    public override string Legend => "Elements of the batch processed per nanosecond (rows x classes / median time)";

    protected override double? Compute(Summary summary, BenchmarkCase benchmarkCase, double median) =>
        benchmarkCase.Parameters[nameof(Shape)] is Shape shape ? shape.Elements / median : null;
}

/// <summary>How many times faster than the baseline of its group (same category and parameters): baseline median / median.</summary>
public sealed class SpeedUpColumn : MedianColumn
{
    public override string ColumnName => "Speed-up";

    public override string Legend => "Median time of the baseline (the peer) divided by the median time of this case; above 1 is faster";

    public override bool IsAvailable(Summary summary) => summary.HasBaselines();

    protected override double? Compute(Summary summary, BenchmarkCase benchmarkCase, double median) =>
        Median(summary, summary.GetBaseline(summary.GetLogicalGroupKey(benchmarkCase))) / median;
}

/// <summary>How many times faster than the same method on the same shape with Threads = 1: that case's median / median.</summary>
public sealed class SpeedUpOverOneThreadColumn : MedianColumn
{
    private const string Threads = nameof(ParallelBenchmarks<float>.Threads);

    public override string ColumnName => "Speed-up vs 1 thread";

    public override string Legend => "Median time of the same method and shape with Threads = 1 divided by the median time of this case";

    public override bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(HasThreads);

    protected override double? Compute(Summary summary, BenchmarkCase benchmarkCase, double median)
    {
        if (!HasThreads(benchmarkCase))
        {
            return null;
        }

        BenchmarkCase? oneThread = summary.BenchmarksCases.FirstOrDefault(other =>
            other.Descriptor == benchmarkCase.Descriptor &&
            other.Job.DisplayInfo == benchmarkCase.Job.DisplayInfo &&
            other.Parameters.Items.All(p => p.Name == Threads ? p.Value is 1 : Equals(p.Value, benchmarkCase.Parameters[p.Name])));
        return Median(summary, oneThread) / median;
    }

    private static bool HasThreads(BenchmarkCase benchmarkCase) => benchmarkCase.Parameters.Items.Any(p => p.Name == Threads);
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Plots;

/// <summary>
/// Turns BenchmarkDotNet's reports into docs/images/benchmarks.svg, the generated parts of docs/benchmarks.md (the
/// environment, the goals with their measured values, the tables of results) and the headline ratios in the package README, src/CrossEntropy/README.md.
/// </summary>
internal static class BenchmarkReport
{
    private const string Float = "Single";

    /// <summary>The benchmark classes and their method categories in the order the documents list them.</summary>
    private static readonly string[] ClassOrder = ["ActivationBenchmarks", "CategoricalLossBenchmarks", "BinaryLossBenchmarks", "ParallelBenchmarks"];
    private static readonly string[] CategoryOrder = ["Softmax", "LogSoftmax", "Sigmoid", "FromLogitsWithGradient"];

    /// <summary>The performance goals, all for float on one thread.</summary>
    private static readonly Goal[] Goals =
    [
        new("Softmax vs TensorPrimitives.SoftMax row by row", "ActivationBenchmarks", "Activations_Softmax", "256x1000", Measure.SpeedUp, 1.8),
        new("Softmax vs TensorPrimitives.SoftMax row by row", "ActivationBenchmarks", "Activations_Softmax", "8x32000", Measure.SpeedUp, 1.8),
        new("Softmax throughput", "ActivationBenchmarks", "Activations_Softmax", "256x1000", Measure.ElementsPerNanosecond, 2.6),
        new("Softmax throughput on a 32 MB batch", "ActivationBenchmarks", "Activations_Softmax", "64x128000", Measure.ElementsPerNanosecond, 2.0),
        new("LogSoftmax vs the composed TensorPrimitives pipeline", "ActivationBenchmarks", "Activations_LogSoftmax", "256x1000", Measure.SpeedUp, 2.0),
        new("CategoricalCrossEntropy.FromLogitsWithGradient vs the composed pipeline", "CategoricalLossBenchmarks",
            "CategoricalCrossEntropy_FromLogitsWithGradient", "256x1000", Measure.SpeedUp, 3.0),
        new("CategoricalCrossEntropy.FromLogitsWithGradient throughput", "CategoricalLossBenchmarks",
            "CategoricalCrossEntropy_FromLogitsWithGradient", "256x1000", Measure.ElementsPerNanosecond, 1.2),
        new("Sigmoid vs TensorPrimitives.Sigmoid", "ActivationBenchmarks", "Activations_Sigmoid", "256x1000", Measure.SpeedUp, 1.5),
        new("BinaryCrossEntropy.FromLogitsWithGradient throughput", "BinaryLossBenchmarks",
            "BinaryCrossEntropy_FromLogitsWithGradient", "256x1000", Measure.ElementsPerNanosecond, 1.5),
        new("Softmax of one row of 10 no slower than TensorPrimitives.SoftMax", "ActivationBenchmarks", "Activations_Softmax", "1x10", Measure.SpeedUp, 1.0),
        new("Softmax of one row of 2 at most 1.5x TensorPrimitives.SoftMax's time", "ActivationBenchmarks", "Activations_Softmax", "1x2", Measure.SpeedUp, 1 / 1.5),
        new("Sigmoid of 10 elements at most 1.2x TensorPrimitives.Sigmoid's time", "ActivationBenchmarks", "Activations_Sigmoid", "1x10", Measure.SpeedUp, 1 / 1.2),
        new("Softmax vs TensorPrimitives.SoftMax row by row", "ActivationBenchmarks", "Activations_Softmax", "64x10", Measure.SpeedUp, 3.0),
        new("Softmax vs TensorPrimitives.SoftMax row by row", "ActivationBenchmarks", "Activations_Softmax", "1024x10", Measure.SpeedUp, 3.0),
        new("Softmax throughput", "ActivationBenchmarks", "Activations_Softmax", "64x10", Measure.ElementsPerNanosecond, 2.5),
        new("Softmax throughput", "ActivationBenchmarks", "Activations_Softmax", "1024x10", Measure.ElementsPerNanosecond, 2.5),
        new("CategoricalCrossEntropy.FromLogitsWithGradient throughput", "CategoricalLossBenchmarks",
            "CategoricalCrossEntropy_FromLogitsWithGradient", "64x10", Measure.ElementsPerNanosecond, 2.0),
        new("CategoricalCrossEntropy.FromLogitsWithGradient throughput", "CategoricalLossBenchmarks",
            "CategoricalCrossEntropy_FromLogitsWithGradient", "256x100", Measure.ElementsPerNanosecond, 3.0),
    ];

    private enum Measure
    {
        SpeedUp,
        ElementsPerNanosecond,
    }

    /// <summary>Reads the reports in <paramref name="resultsFolder"/> and writes the chart and documents of the repository at <paramref name="root"/>.</summary>
    public static void Write(string resultsFolder, string root)
    {
        BenchmarkResults results = BenchmarkResults.Load(resultsFolder);
        List<BenchmarkRow> floats = results.Rows.Where(r => r.Type == Float).ToList();
        string chart = Path.Combine(root, "docs", "images", "benchmarks.svg");
        string document = Path.Combine(root, "docs", "benchmarks.md");
        string readme = Path.Combine(root, "src", "CrossEntropy", "README.md");
        DrawChart(floats, chart);
        string text = File.ReadAllText(document);
        text = ReplaceGenerated(text, "environment", EnvironmentSection(results));
        text = ReplaceGenerated(text, "goals", GoalsSection(floats));
        text = ReplaceGenerated(text, "results", ResultsSection(results.Rows));
        File.WriteAllText(document, text);
        File.WriteAllText(readme, ReplaceGenerated(File.ReadAllText(readme), "headline", HeadlineSection(floats)));
        Console.WriteLine($"wrote {chart}, the generated parts of {document} and of {readme} from {results.Rows.Count} results");
    }

    private static void DrawChart(IReadOnlyList<BenchmarkRow> rows, string path)
    {
        var groups = new List<BarGroup>();
        foreach (var group in Ordered(rows).GroupBy(r => (r.Class, r.Category)))
        {
            BenchmarkRow? peer = group.FirstOrDefault(r => r.IsBaseline);
            if (peer is not null)
            {
                foreach (var ours in group.Where(r => !r.IsBaseline && r.SpeedUp is not null).GroupBy(r => r.Method))
                {
                    groups.Add(new BarGroup($"{Display(ours.Key)} vs {Display(peer.Method)}", ours
                        .Select(r => new Bar(r.Shape, r.SpeedUp!.Value, GoalFor(r, Measure.SpeedUp)?.Minimum)).ToList()));
                }
            }
            else
            {
                foreach (var ours in group.Where(r => r.Threads > 1 && r.SpeedUpOverOneThread is not null).GroupBy(r => (r.Method, r.Threads)))
                {
                    groups.Add(new BarGroup($"{Display(ours.Key.Method)} on {ours.Key.Threads} threads vs on 1 thread", ours
                        .Select(r => new Bar(r.Shape, r.SpeedUpOverOneThread!.Value)).ToList()));
                }
            }
        }

        double largest = groups.SelectMany(g => g.Bars).Max(b => Math.Max(b.Value, b.Goal ?? 0));
        var x = new Axis("times faster: median time of the peer (or of 1 thread) / ours; solid line: 1x, as fast; black ticks: goals", 0, largest * 1.12, targetTicks: 8);
        var svg = new SvgCanvas(960, Chart.HorizontalBarsHeight(groups));
        Chart.HorizontalBars(svg, new Box(0, 0, 960, Chart.HorizontalBarsHeight(groups)),
            "CrossEntropy against its peers: float, speed-up per batch shape (rows x classes)", x, groups, reference: 1);
        svg.Save(path);
    }

    private static string EnvironmentSection(BenchmarkResults results) =>
        $"Newest report written {results.Written:yyyy-MM-dd HH:mm} UTC, on:\n\n```\n{results.Environment}\n```\n";

    /// <summary>The README's summary: the speed-up of each headline kernel over its peer at 256x1000.</summary>
    private static string HeadlineSection(IReadOnlyList<BenchmarkRow> rows)
    {
        string SpeedUp(string benchmarkClass, string method, string shape = "256x1000") =>
            rows.FirstOrDefault(r => r.Class == benchmarkClass && r.Method == method && r.Shape == shape)?.SpeedUp is double value
                ? value.ToString("0.00", CultureInfo.InvariantCulture) + "x"
                : "(not run)";

        return $"`float`, one thread, 256x1000 batch, against .NET's own fastest way in the same BenchmarkDotNet run:\n" +
            $"`Activations.Softmax` {SpeedUp("ActivationBenchmarks", "Activations_Softmax")} `TensorPrimitives.SoftMax` row by row " +
            $"({SpeedUp("ActivationBenchmarks", "Activations_Softmax", "8x32000")} at 8x32000),\n" +
            $"`Activations.LogSoftmax` {SpeedUp("ActivationBenchmarks", "Activations_LogSoftmax")} and " +
            $"`CategoricalCrossEntropy.FromLogitsWithGradient` (loss and gradient) " +
            $"{SpeedUp("CategoricalLossBenchmarks", "CategoricalCrossEntropy_FromLogitsWithGradient")}\n" +
            $"the same steps composed from `TensorPrimitives` calls, and `Activations.Sigmoid` " +
            $"{SpeedUp("ActivationBenchmarks", "Activations_Sigmoid")} `TensorPrimitives.Sigmoid`.\n";
    }

    private static string GoalsSection(IReadOnlyList<BenchmarkRow> rows)
    {
        var text = new StringBuilder();
        text.Append("| goal (float, one thread) | shape | target | measured | met |\n| --- | --- | ---: | ---: | --- |\n");
        foreach (Goal goal in Goals)
        {
            BenchmarkRow? row = rows.FirstOrDefault(r => r.Class == goal.Class && r.Method == goal.Method && r.Shape == goal.Shape && r.Threads is null);
            double? measured = row is null ? null : goal.Measure == Measure.SpeedUp ? row.SpeedUp : row.ElementsPerNanosecond;
            string unit = goal.Measure == Measure.SpeedUp ? "x" : " elements/ns";
            text.Append(CultureInfo.InvariantCulture, $"| {goal.Text} | {goal.Shape} | >= {goal.Minimum:0.0#}{unit} | ")
                .Append(measured is double value ? value.ToString("0.00", CultureInfo.InvariantCulture) + unit : "not run")
                .Append(" | ").Append(measured is null ? "-" : measured >= goal.Minimum ? "met" : "**not met**").Append(" |\n");
        }

        // Every benchmark of ours on one thread: the classes without a Threads parameter, and Threads = 1 in the others.
        BenchmarkRow[] ours = rows.Where(r => r.IsOurs && r.Threads is null or 1 && r.AllocatedBytes is not null).ToArray();
        BenchmarkRow[] allocating = ours.Where(r => r.AllocatedBytes > 0).ToArray();
        text.Append(CultureInfo.InvariantCulture, $"| Zero bytes allocated by every benchmark of ours on one thread | all | 0 B | ")
            .Append(allocating.Length == 0
                ? $"0 B in all {ours.Length}"
                : string.Join(", ", allocating.Select(r => $"{r.AllocatedBytes} B in {r.Method} {r.Shape}")))
            .Append(" | ").Append(ours.Length == 0 ? "-" : allocating.Length == 0 ? "met" : "**not met**").Append(" |\n");
        return text.ToString();
    }

    private static string ResultsSection(IReadOnlyList<BenchmarkRow> rows)
    {
        var text = new StringBuilder();
        foreach (var table in Ordered(rows).GroupBy(r => (r.Type, r.Class)))
        {
            bool threads = table.Any(r => r.Threads is not null);
            text.Append(CultureInfo.InvariantCulture, $"### `{table.Key.Class}<{(table.Key.Type == Float ? "float" : "double")}>`\n\n");
            text.Append(threads
                ? "| method | shape | threads | median | speed-up vs 1 thread | elements/ns | allocated |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n"
                : "| method | shape | median | speed-up | ratio | elements/ns | allocated |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (BenchmarkRow r in table)
            {
                string method = r.IsOurs ? $"**`{r.Method}`**" : r.IsBaseline ? $"`{r.Method}` (peer)" : $"`{r.Method}` (reference)";
                string comparison = threads ? $"{r.Threads} | {Time(r.MedianNanoseconds)} | {Number(r.SpeedUpOverOneThread)}"
                    : $"{Time(r.MedianNanoseconds)} | {Number(r.SpeedUp)} | {Number(r.Ratio)}";
                text.Append(CultureInfo.InvariantCulture,
                    $"| {method} | {r.Shape} | {comparison} | {Number(r.ElementsPerNanosecond)} | {Bytes(r.AllocatedBytes)} |\n");
            }

            text.Append('\n');
        }

        return text.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>Rows by type (float first), class, category, shape (smallest first), thread count, then the peer before ours.</summary>
    private static IEnumerable<BenchmarkRow> Ordered(IEnumerable<BenchmarkRow> rows) => rows
        .OrderBy(r => r.Type != Float)
        .ThenBy(r => Rank(ClassOrder, r.Class))
        .ThenBy(r => Rank(CategoryOrder, r.Category))
        .ThenBy(r => ShapeSize(r.Shape))
        .ThenBy(r => r.Threads)
        .ThenBy(r => !r.IsBaseline)
        .ThenBy(r => r.Method, StringComparer.Ordinal);

    private static Goal? GoalFor(BenchmarkRow row, Measure measure) =>
        Goals.FirstOrDefault(g => g.Measure == measure && g.Class == row.Class && g.Method == row.Method && g.Shape == row.Shape);

    private static int Rank(string[] order, string value) => Array.IndexOf(order, value) is int i and >= 0 ? i : order.Length;

    private static (long Elements, int Classes) ShapeSize(string shape)
    {
        string[] parts = shape.Split('x');
        int rows = int.Parse(parts[0], CultureInfo.InvariantCulture);
        int classes = int.Parse(parts[1], CultureInfo.InvariantCulture);
        return ((long)rows * classes, classes);
    }

    /// <summary>A benchmark's name for people: "TensorPrimitives_SoftMax_RowByRow" reads "TensorPrimitives.SoftMax (row by row)".</summary>
    private static string Display(string method)
    {
        string[] parts = method.Split('_');
        string name = string.Join('.', parts.Take(2));
        return parts.Length <= 2 ? name : $"{name} ({string.Join(", ", parts.Skip(2).Select(Words))})";
    }

    private static string Words(string pascalCase) =>
        string.Concat(pascalCase.Select((c, i) => char.IsUpper(c) && i > 0 ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static string Time(double nanoseconds) => nanoseconds switch
    {
        < 1e3 => Format(nanoseconds) + " ns",
        < 1e6 => Format(nanoseconds / 1e3) + " µs",
        _ => Format(nanoseconds / 1e6) + " ms",
    };

    // Three or four significant digits: 123.4, 12.34, 1.234.
    private static string Format(double value) =>
        value.ToString(value >= 100 ? "0.0" : value >= 10 ? "0.00" : "0.000", CultureInfo.InvariantCulture);

    private static string Number(double? value) => value is double v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Bytes(double? bytes) => bytes is double b ? b.ToString("0", CultureInfo.InvariantCulture) + " B" : "-";

    /// <summary>Replaces the lines between <c>&lt;!-- begin generated: name --&gt;</c> and its end marker with <paramref name="content"/>.</summary>
    private static string ReplaceGenerated(string document, string name, string content)
    {
        string begin = $"<!-- begin generated: {name} -->\n";
        string end = $"<!-- end generated: {name} -->";
        int start = document.IndexOf(begin, StringComparison.Ordinal);
        int stop = document.IndexOf(end, StringComparison.Ordinal);
        if (start < 0 || stop < start)
        {
            throw new InvalidDataException($"No '{begin.TrimEnd()}' ... '{end}' section to replace.");
        }

        return string.Concat(document.AsSpan(0, start + begin.Length), content, document.AsSpan(stop));
    }

    private sealed record Goal(string Text, string Class, string Method, string Shape, Measure Measure, double Minimum);
}

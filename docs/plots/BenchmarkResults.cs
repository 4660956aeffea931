using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Plots;

/// <summary>
/// One row of a BenchmarkDotNet CSV report written by benchmarks/CrossEntropy.Benchmarks: a method on one shape (and thread
/// count), in the class <see cref="Class"/> instantiated with <see cref="Type"/> (Single or Double).
/// </summary>
internal sealed record BenchmarkRow(
    string Class,
    string Type,
    string Method,
    string Category,
    string Shape,
    int? Threads,
    double MedianNanoseconds,
    double? Ratio,
    double? SpeedUp,
    double? SpeedUpOverOneThread,
    double? ElementsPerNanosecond,
    bool IsBaseline,
    double? AllocatedBytes)
{
    /// <summary>
    /// Whether the row measures the library: its methods are named after the class they call (Activations_Softmax), unlike
    /// the peers and references (TensorPrimitives_..., ScalarLoop_..., Memory_Copy).
    /// </summary>
    public bool IsOurs => Method.Split('_')[0] is "Activations" or "CategoricalCrossEntropy" or "BinaryCrossEntropy";
}

/// <summary>The rows of every CSV report in a BenchmarkDotNet results folder, and the environment its markdown reports describe.</summary>
internal sealed partial class BenchmarkResults
{
    private BenchmarkResults(IReadOnlyList<BenchmarkRow> rows, string environment, DateTime written)
    {
        Rows = rows;
        Environment = environment;
        Written = written;
    }

    public IReadOnlyList<BenchmarkRow> Rows { get; }

    /// <summary>The block BenchmarkDotNet writes at the top of its markdown report: versions, OS, CPU, runtime and job.</summary>
    public string Environment { get; }

    /// <summary>When the newest report was written (UTC).</summary>
    public DateTime Written { get; }

    /// <summary>Reads every <c>*-report.csv</c> in <paramref name="folder"/>; file names say the class and type argument.</summary>
    public static BenchmarkResults Load(string folder)
    {
        FileInfo[] reports = new DirectoryInfo(folder).GetFiles("*-report.csv");
        if (reports.Length == 0)
        {
            throw new FileNotFoundException($"No BenchmarkDotNet CSV reports (*-report.csv) in {Path.GetFullPath(folder)}; run the benchmarks first.");
        }

        var rows = new List<BenchmarkRow>();
        foreach (FileInfo report in reports)
        {
            Match name = ReportName().Match(report.Name);
            if (name.Success)
            {
                rows.AddRange(ReadCsv(report.FullName, name.Groups["class"].Value, name.Groups["type"].Value));
            }
        }

        FileInfo newest = reports.MaxBy(r => r.LastWriteTimeUtc)!;
        string markdown = Path.Combine(folder, newest.Name.Replace("-report.csv", "-report-github.md", StringComparison.Ordinal));
        return new BenchmarkResults(rows, File.Exists(markdown) ? EnvironmentBlock(File.ReadAllText(markdown)) : "", newest.LastWriteTimeUtc);
    }

    private static IEnumerable<BenchmarkRow> ReadCsv(string path, string benchmarkClass, string type)
    {
        string[] lines = File.ReadAllLines(path);
        string[] header = SplitCsvLine(lines[0]);
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            string[] cells = SplitCsvLine(line);
            string? Cell(string column) => Array.IndexOf(header, column) is int i and >= 0 ? cells[i] : null;
            double? Number(string column) =>
                double.TryParse(Cell(column), NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out double value) ? value : null;

            if (Number("Median [ns]") is not double median)
            {
                continue;
            }

            yield return new BenchmarkRow(
                benchmarkClass,
                type,
                Cell("Method")!,
                // BenchmarkDotNet lists the method's category first, then the class's.
                (Cell("Categories") ?? "").Split(',')[0],
                Cell("Shape")!,
                Number("Threads") is double threads ? (int)threads : null,
                median,
                Number("Ratio"),
                Number("Speed-up"),
                Number("Speed-up vs 1 thread"),
                Number("Elements/ns"),
                Cell("Baseline") == "Yes",
                Number("Allocated [B]"));
        }
    }

    /// <summary>Splits one CSV line at commas outside double quotes, removing the quotes.</summary>
    private static string[] SplitCsvLine(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells.ToArray();
    }

    /// <summary>The first fenced block of a BenchmarkDotNet markdown report, without its fences.</summary>
    private static string EnvironmentBlock(string markdown)
    {
        string[] parts = markdown.Split("```");
        return parts.Length > 2 ? parts[1].Trim('\r', '\n') : "";
    }

    // For example CrossEntropy.Benchmarks.ActivationBenchmarks_Single_-report.csv.
    [GeneratedRegex(@"\.(?<class>\w+?)_(?<type>Single|Double)_-report\.csv$")]
    private static partial Regex ReportName();
}

using System;
using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace CrossEntropy.Tests.Determinism;

public sealed class TmpTimingDeterminism(ITestOutputHelper output)
{
    [Fact]
    public void Timing()
    {
        var cases = new Func<Case<float>>[]
        {
            () => DeterminismCases.CategoricalLabels<float>(257, 33, true, true, 0.0),
            () => DeterminismCases.CategoricalLabels<float>(257, 33, false, true, 0.0),
            () => DeterminismCases.CategoricalTargets<float>(257, 33, true, true, 0.0),
            () => DeterminismCases.Binary<float>(257, 33, true, true, true, 0.0),
            () => DeterminismCases.Softmax<float>(257, 33),
        };
        foreach (var make in cases)
        {
            var c = make();
            foreach (VectorWidth width in Widths.All)
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    Sweep.Run(c, width, threads);
                    var sw = Stopwatch.StartNew();
                    Sweep.Run(c, width, threads);
                    output.WriteLine($"{c.Name} {width} {threads}: {sw.Elapsed.TotalMilliseconds:F1} ms");
                }
            }
        }
    }
}

using System;
using System.Globalization;
using ChunkedCrossEntropy;

// A fused linear cross-entropy over a large vocabulary that never holds the whole logits matrix.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
ExampleOptions options = ExampleOptions.Parse(args);
Console.WriteLine($"hidden states {options.Rows} x {options.Dimension}, classifier {options.Vocabulary} x {options.Dimension}, chunks of {options.ChunkClasses} classes");
ExampleResult result = ChunkedExample.Run(options);

Console.WriteLine($"mean loss: {result.Loss:F6} (log of the vocabulary: {Math.Log(options.Vocabulary):F6}), in {result.Elapsed.TotalSeconds:F1} s");
Console.WriteLine($"allocated by the chunked loss and gradients: {Size(result.AllocatedBytes)}; the whole logits matrix would take {Size(result.FullLogitsBytes)}");
Console.WriteLine($"managed heap after the run, inputs and gradients included: {Size(result.HeapBytes)}");
Console.WriteLine($"check on the first {Math.Min(options.CheckRows, options.Rows)} rows: chunked loss {result.CheckChunkedLoss:F6}, unchunked {result.CheckUnchunkedLoss:F6}");
Console.WriteLine($"largest gradient difference relative to the largest entry: hidden states {result.HiddenGradientError:E2}, classifier {result.ClassifierGradientError:E2}");

bool agrees = Math.Abs(result.CheckChunkedLoss - result.CheckUnchunkedLoss) <= 1e-5 * Math.Abs(result.CheckUnchunkedLoss)
    && result.HiddenGradientError <= 1e-4 && result.ClassifierGradientError <= 1e-4;
Console.WriteLine(agrees ? "the chunked loss and gradients agree with the unchunked ones" : "MISMATCH between the chunked and unchunked results");
return agrees ? 0 : 1;

static string Size(long bytes) => bytes >= 1 << 20 ? $"{bytes / 1048576.0:F1} MiB" : $"{bytes / 1024.0:F1} KiB";

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossEntropy;
using IrisTraining;
using Plots;

// Draws the figures in docs/images as SVG, from the library's own results:
//   dotnet run --project docs/plots [output folder]
// or the benchmark chart, docs/images/benchmarks.svg, and the generated parts of docs/benchmarks.md and src/CrossEntropy/README.md, from the
// reports of benchmarks/CrossEntropy.Benchmarks (by default in BenchmarkDotNet.Artifacts/results at the repository root):
//   dotnet run --project docs/plots -- benchmarks [results folder]
if (args is ["benchmarks", ..])
{
    string root = RepositoryRoot();
    BenchmarkReport.Write(args.Length > 1 ? args[1] : Path.Combine(root, "BenchmarkDotNet.Artifacts", "results"), root);
    return;
}

string output = args.Length > 0 ? args[0] : Path.Combine(RepositoryRoot(), "docs", "images");
Directory.CreateDirectory(output);
LossVersusLogit(Path.Combine(output, "loss-vs-logit.svg"));
IrisTrainingCurve(Path.Combine(output, "iris-training.svg"));
Console.WriteLine($"wrote loss-vs-logit.svg and iris-training.svg to {Path.GetFullPath(output)}");

// Loss and gradient of one 3-class row with logits [z, 0, 0] and label 0, against z, without and with label smoothing.
static void LossVersusLogit(string path)
{
    const int Classes = 3;
    double[] z = Enumerable.Range(0, 321).Select(i => -8 + i * 0.05).ToArray();
    double[] smoothing = [0, 0.1];
    var losses = new List<Series>();
    var gradients = new List<Series>();
    foreach (double s in smoothing)
    {
        var loss = new double[z.Length];
        var gradient = new double[z.Length];
        var rowGradient = new double[Classes];
        for (int i = 0; i < z.Length; i++)
        {
            double[] logits = [z[i], 0, 0];
            loss[i] = CategoricalCrossEntropy.FromLogitsWithGradient<double>(logits, [0], rowGradient, Classes, labelSmoothing: s);
            gradient[i] = rowGradient[0];
        }

        string name = s == 0 ? "no label smoothing" : $"label smoothing {s}";
        losses.Add(new Series(name, z, loss, Dashed: s != 0));
        gradients.Add(new Series(name, z, gradient, Dashed: s != 0));
    }

    var x = new Axis("logit of the true class, z (other logits 0)", z[0], z[^1], targetTicks: 8);
    var svg = new SvgCanvas(960, 400);
    Chart.Lines(svg, new Box(0, 0, 480, 400), "Cross-entropy, 3 classes, label 0", x,
        Axis.Fit("loss = −log softmax(z, 0, 0)₀", losses.Select(s => s.Y)), losses, Corner.TopRight);
    Chart.Lines(svg, new Box(480, 0, 480, 400), "Its gradient with respect to z", x,
        Axis.Fit("d loss / d z = softmax₀ − t′₀", gradients.Select(s => s.Y)), gradients, Corner.BottomRight);
    svg.Save(path);
}

// The Iris example's training loss and held-out accuracy per epoch.
static void IrisTrainingCurve(string path)
{
    TrainingResult result = IrisTrainer.Train(IrisDataSet.Load(IrisDataSet.DefaultPath));
    double[] epochs = result.Epochs.Select(e => (double)e.Epoch).ToArray();
    double[] loss = result.Epochs.Select(e => (double)e.TrainingLoss).ToArray();
    double[] accuracy = result.Epochs.Select(e => 100.0 * e.TestAccuracy).ToArray();
    var x = new Axis("epoch", 0, epochs[^1]);
    var svg = new SvgCanvas(960, 400);
    Chart.Lines(svg, new Box(0, 0, 480, 400), "Iris example: training loss", x,
        new Axis("mean cross-entropy", 0, loss.Max()), [new Series("training loss", epochs, loss)], Corner.TopRight);
    Chart.Lines(svg, new Box(480, 0, 480, 400), "Iris example: held-out accuracy", x,
        new Axis("accuracy on the 45 held-out flowers (%)", 70, 100), [new Series("held-out accuracy", epochs, accuracy)], Corner.BottomRight);
    svg.Save(path);
}

// The folder that holds CrossEntropy.sln, found upwards from the executable.
static string RepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "CrossEntropy.sln")))
        {
            return directory.FullName;
        }
    }

    throw new DirectoryNotFoundException("CrossEntropy.sln not found above the executable; pass the output folder as an argument.");
}

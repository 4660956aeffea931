using System;
using System.IO;
using System.Linq;
using Xunit;

namespace CrossEntropy.Tests.Readme;

// The README's code calls the class as Activations, which the namespace CrossEntropy.Tests.Activations hides in here.
using Activations = CrossEntropy.Activations;

/// <summary>The package README's quick start, compiled and run here; a second test keeps the README's copy identical to it.</summary>
public class QuickStartTests
{
    [Fact]
    public void QuickStartComputesWhatItsCommentsSay()
    {
        // quick start begin
        // Two samples (rows) of three class logits each, row-major, and the true class of each sample.
        float[] logits = { 2.0f, 0.5f, -1.0f,
                           0.1f, 0.2f,  3.0f };
        int[] labels = { 0, 2 };

        // Class probabilities, row by row: [0.786, 0.175, 0.039, 0.049, 0.054, 0.896].
        float[] probabilities = new float[logits.Length];
        Activations.Softmax<float>(logits, probabilities, classes: 3);

        // The mean cross-entropy (PyTorch's F.cross_entropy), 0.1755, and its gradient with respect to
        // every logit, (softmax - one_hot(label)) / 2, in one pass: what backpropagation needs.
        float[] gradient = new float[logits.Length];
        float loss = CategoricalCrossEntropy.FromLogitsWithGradient<float>(logits, labels, gradient, classes: 3);
        // quick start end

        double[] expectedProbabilities = [0.786, 0.175, 0.039, 0.049, 0.054, 0.896];
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.Equal(expectedProbabilities[i], probabilities[i], 0.0005);
            double oneHot = i == labels[i / 3] + 3 * (i / 3) ? 1 : 0;
            Assert.Equal((probabilities[i] - oneHot) / 2, gradient[i], 1e-6);
        }

        Assert.Equal(0.1755, loss, 0.00005);
    }

    [Fact]
    public void ReadmeShowsTheCodeThisTestRuns()
    {
        string root = RepositoryRoot();
        string[] test = Region(File.ReadAllLines(Path.Combine(root, "tests", "CrossEntropy.Tests", "Readme", "QuickStartTests.cs")), "// quick start begin", "// quick start end");
        string readme = File.ReadAllText(Path.Combine(root, "src", "CrossEntropy", "README.md"));
        string[] block = readme.Split("```csharp")[1].Split("```")[0].Split('\n');
        string[] code = block.Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith("using ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(test.Select(line => line.Trim()).Where(line => line.Length > 0), code);
    }

    private static string[] Region(string[] lines, string begin, string end)
    {
        int first = Array.FindIndex(lines, line => line.Trim() == begin) + 1;
        int last = Array.FindIndex(lines, line => line.Trim() == end);
        return lines[first..last];
    }

    /// <summary>The folder holding CrossEntropy.sln, above the test binaries.</summary>
    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "CrossEntropy.sln")))
        {
            directory = directory.Parent ?? throw new DirectoryNotFoundException("CrossEntropy.sln is not above " + AppContext.BaseDirectory);
        }

        return directory.FullName;
    }
}

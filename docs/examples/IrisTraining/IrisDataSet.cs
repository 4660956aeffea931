using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace IrisTraining;

/// <summary>Fisher's Iris data: four measurements in centimetres and the species of each of 150 flowers.</summary>
public sealed class IrisDataSet
{
    /// <summary>The number of measurements per flower: sepal length, sepal width, petal length, petal width.</summary>
    public const int FeatureCount = 4;

    private readonly float[] _features;
    private readonly int[] _labels;

    private IrisDataSet(float[] features, int[] labels, string[] species)
    {
        _features = features;
        _labels = labels;
        Species = species;
    }

    /// <summary>Where the program finds <c>iris.csv</c>: beside the executable, where the build copies it.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "iris.csv");

    /// <summary>The species names, in the order of their class indices.</summary>
    public IReadOnlyList<string> Species { get; }

    /// <summary>The number of flowers.</summary>
    public int Rows => _labels.Length;

    /// <summary>The measurements, row-major: <see cref="FeatureCount"/> values per flower.</summary>
    public ReadOnlySpan<float> Features => _features;

    /// <summary>The class index of each flower's species.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>Reads a CSV file with a header line and rows of four measurements followed by the species name.</summary>
    /// <param name="path">The CSV file.</param>
    /// <returns>The data set; species get class indices in the order they first appear.</returns>
    /// <exception cref="FormatException">A row does not have four numbers and a name.</exception>
    public static IrisDataSet Load(string path)
    {
        var features = new List<float>();
        var labels = new List<int>();
        var species = new List<string>();
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            string[] fields = line.Split(',');
            if (fields.Length != FeatureCount + 1)
            {
                throw new FormatException($"Expected {FeatureCount} measurements and a species: '{line}'.");
            }

            for (int f = 0; f < FeatureCount; f++)
            {
                features.Add(float.Parse(fields[f], NumberStyles.Float, CultureInfo.InvariantCulture));
            }

            int label = species.IndexOf(fields[FeatureCount]);
            if (label < 0)
            {
                label = species.Count;
                species.Add(fields[FeatureCount]);
            }

            labels.Add(label);
        }

        return new IrisDataSet([.. features], [.. labels], [.. species]);
    }

    /// <summary>
    /// Splits the rows into a training and a test set, stratified: each species gives the same share of its rows to the test set.
    /// </summary>
    /// <param name="testFraction">The share of each species held out for testing.</param>
    /// <param name="random">The source of the shuffle; a fixed seed gives a fixed split.</param>
    /// <returns>The row indices of the training set and of the test set.</returns>
    public (int[] Training, int[] Test) StratifiedSplit(double testFraction, Random random)
    {
        var training = new List<int>();
        var test = new List<int>();
        for (int label = 0; label < Species.Count; label++)
        {
            int[] rows = Enumerable.Range(0, Rows).Where(r => _labels[r] == label).ToArray();
            random.Shuffle(rows);
            int testCount = (int)Math.Round(rows.Length * testFraction);
            test.AddRange(rows[..testCount]);
            training.AddRange(rows[testCount..]);
        }

        return ([.. training], [.. test]);
    }
}

using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using CrossEntropy;

/// <summary>
/// Runs every public computation on a fixed corpus of inputs (float, double and Half; short and long rows; batches large
/// enough to spread over threads; infinities, NaN and extreme logits in the small shapes) and prints a hash of the raw bits
/// of every result, one line per element type and computation and one over all of them. Two machines, runtimes or
/// compilers give the same lines exactly when they give the same bits (a NaN counts as NaN, whatever its sign or payload).
/// </summary>
internal static class Corpus
{
    /// <summary>Rows and classes of each batch; the last has 132,080 elements, above the threshold for threads.</summary>
    private static readonly (int Rows, int Classes)[] Shapes =
    [
        (1, 1), (2, 3), (3, 7), (4, 16), (5, 33), (3, 100), (2, 1000), (1, 3001), (1, 20000), (64, 50), (1040, 127),
    ];

    /// <summary>Shapes up to this index also get infinities, NaN and logits of 1e4 among their inputs.</summary>
    private const int SpecialShapes = 6;

    /// <summary>Prints the path this process runs on, then the hashes.</summary>
    public static void Print()
    {
        string width = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256"
            : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
        string fma = Fma.IsSupported || AdvSimd.IsSupported ? "with FMA" : "without FMA";
        Console.WriteLine($"path: {width} {fma}, {RuntimeFeature.IsDynamicCodeSupported switch { true => "JIT", false => "AOT" }}");

        var all = new Hash();
        foreach ((string name, List<(string, Hash)> hashes) in new[] { ("float", Run<float>()), ("double", Run<double>()), ("Half", Run<Half>()) })
        {
            foreach ((string operation, Hash hash) in hashes)
            {
                Console.WriteLine($"hash {name} {operation} {hash}");
                all.Add(hash.Value);
            }
        }

        Console.WriteLine($"hash all {all}");
    }

    private static List<(string, Hash)> Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var hashes = new List<(string, Hash)>();
        Hash For(string operation)
        {
            foreach ((string name, Hash hash) in hashes)
            {
                if (name == operation)
                {
                    return hash;
                }
            }

            var added = new Hash();
            hashes.Add((operation, added));
            return added;
        }

        for (int shape = 0; shape < Shapes.Length; shape++)
        {
            (int rows, int classes) = Shapes[shape];
            int n = rows * classes;
            var random = new SplitMix64((ulong)shape + 1);
            bool special = shape < SpecialShapes;

            // Inputs.
            T[] logits = new T[n];
            for (int row = 0; row < rows; row++)
            {
                double scale = (row % 4) switch { 0 => 1, 1 => 4, 2 => 30, _ => 200 };
                for (int c = 0; c < classes; c++)
                {
                    logits[row * classes + c] = T.CreateChecked(random.Uniform(-scale, scale));
                }
            }

            if (special)
            {
                for (int i = 0; i < n; i += 5)
                {
                    logits[i] = (random.Below(6)) switch
                    {
                        0 => T.NegativeInfinity,
                        1 => T.PositiveInfinity,
                        2 => T.NaN,
                        3 => T.CreateChecked(1e4),
                        4 => T.CreateChecked(-1e4),
                        _ => T.Zero,
                    };
                }
            }

            T[] probabilities = Fill<T>(n, random, () => random.Below(16) switch { 0 => 0, 1 => 1, _ => random.Uniform(0, 1) });
            T[] softTargets = Fill<T>(n, random, () => random.Uniform(0, 1));
            T[] binaryTargets = Fill<T>(n, random, () => random.Below(2) == 0 ? random.Below(2) : random.Uniform(0, 1));
            T[] outputGradient = Fill<T>(n, random, () => random.Uniform(-1, 1));
            T[] classWeights = Fill<T>(classes, random, () => random.Uniform(0, 2));
            T[] positiveWeights = Fill<T>(classes, random, () => random.Uniform(0.5, 3));
            int[] labels = new int[rows];
            for (int row = 0; row < rows; row++)
            {
                labels[row] = random.Below(8) == 0 ? -100 : random.Below(classes);
            }

            T[] output = new T[n];
            T[] gradient = new T[n];
            T[] perRow = new T[rows];

            // Activations and their backward passes.
            Activations.Softmax<T>(logits, output, classes);
            For("Softmax").Add<T>(output);
            Activations.SoftmaxBackward<T>(output, outputGradient, gradient, classes);
            For("SoftmaxBackward").Add<T>(gradient);

            Activations.LogSoftmax<T>(logits, output, classes);
            For("LogSoftmax").Add<T>(output);
            Activations.LogSoftmaxBackward<T>(output, outputGradient, gradient, classes);
            For("LogSoftmaxBackward").Add<T>(gradient);

            Activations.LogSumExp<T>(logits, perRow, classes);
            For("LogSumExp").Add<T>(perRow);
            For("LogSumExp").Add(Activations.LogSumExp<T>(logits));

            Activations.Sigmoid<T>(logits, output);
            For("Sigmoid").Add<T>(output);
            Activations.SigmoidBackward<T>(output, outputGradient, gradient);
            For("SigmoidBackward").Add<T>(gradient);

            Activations.LogSigmoid<T>(logits, output);
            For("LogSigmoid").Add<T>(output);

            // Categorical cross-entropy from logits: integer labels, soft targets, class weights, smoothing, both reductions.
            Hash hash = For("CategoricalFromLogitsWithGradient");
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, gradient, classes));
            hash.Add<T>(gradient);
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, gradient, classes, Reduction.Sum, classWeights, labelSmoothing: 0.1));
            hash.Add<T>(gradient);
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, softTargets, gradient, classes));
            hash.Add<T>(gradient);
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, softTargets, gradient, classes, Reduction.Mean, classWeights, 0.2));
            hash.Add<T>(gradient);
            CategoricalCrossEntropy.FromLogits<T>(logits, labels, perRow, classes, classWeights, labelSmoothing: 0.05);
            hash.Add<T>(perRow);

            // Categorical cross-entropy from probabilities.
            hash = For("CategoricalFromProbabilitiesWithGradient");
            hash.Add(CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(probabilities, labels, gradient, classes));
            hash.Add<T>(gradient);
            hash.Add(CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(probabilities, labels, gradient, classes, Reduction.Sum, classWeights, labelSmoothing: 0.1));
            hash.Add<T>(gradient);
            hash.Add(CategoricalCrossEntropy.FromProbabilitiesWithGradient<T>(probabilities, softTargets, gradient, classes, Reduction.Mean, classWeights, 0.2));
            hash.Add<T>(gradient);

            // Binary cross-entropy: weights and positive weights broadcast over each row, smoothing, both reductions.
            hash = For("BinaryFromLogitsWithGradient");
            hash.Add(BinaryCrossEntropy.FromLogitsWithGradient<T>(logits, binaryTargets, gradient));
            hash.Add<T>(gradient);
            hash.Add(BinaryCrossEntropy.FromLogitsWithGradient<T>(logits, binaryTargets, gradient, Reduction.Sum, classWeights, positiveWeights, 0.1));
            hash.Add<T>(gradient);
            hash.Add(BinaryCrossEntropy.FromLogitsWithGradient<T>(logits, binaryTargets, gradient, positiveWeights: positiveWeights));
            hash.Add<T>(gradient);
            BinaryCrossEntropy.FromLogits<T>(logits, binaryTargets, output, classWeights, positiveWeights);
            hash.Add<T>(output);

            hash = For("BinaryFromProbabilitiesWithGradient");
            hash.Add(BinaryCrossEntropy.FromProbabilitiesWithGradient<T>(probabilities, binaryTargets, gradient));
            hash.Add<T>(gradient);
            hash.Add(BinaryCrossEntropy.FromProbabilitiesWithGradient<T>(probabilities, binaryTargets, gradient, Reduction.Sum, classWeights, 0.1));
            hash.Add<T>(gradient);

            // Temperature, masks, log-add-exp and selection.
            Activations.Softmax<T>(logits, output, classes, temperature: 0.7);
            For("SoftmaxTemperature").Add<T>(output);
            Activations.LogSoftmax<T>(logits, output, classes, temperature: 2.5);
            For("LogSoftmaxTemperature").Add<T>(output);
            bool[] mask = new bool[n];
            for (int i = 0; i < n; i++)
            {
                mask[i] = random.Below(4) != 0 && (i / classes) % 7 != 3;
            }

            Activations.Softmax<T>(logits, mask, output, classes);
            For("MaskedSoftmax").Add<T>(output);
            Activations.LogAddExp<T>(logits, outputGradient, output);
            For("LogAddExp").Add<T>(output);
            int k = Math.Min(classes, 5);
            int[] indices = new int[rows * k];
            T[] values = new T[rows * k];
            Activations.ArgMax<T>(logits, indices, classes);
            hash = For("ArgMaxTopK");
            hash.Add(indices.AsSpan(0, rows));
            Activations.TopK<T>(logits, indices, values, classes, k);
            hash.Add(indices);
            hash.Add<T>(values);

            // The training-loop options, log-probabilities, vocabulary chunks.
            T[] sampleWeights = Fill<T>(rows, random, () => random.Uniform(-1, 2));
            T[] logSumExp = new T[rows];
            hash = For("CategoricalOptions");
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, gradient, classes, Reduction.Mean, classWeights,
                labelSmoothing: 0.1, sampleWeights: sampleWeights, normalizer: 7, softCap: 30, zLoss: 1e-4, logSumExp: logSumExp));
            hash.Add<T>(gradient);
            hash.Add<T>(logSumExp);
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, gradient, classes, softCap: 500));
            hash.Add<T>(gradient);
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, labels, gradient, classes, softCap: 3));
            hash.Add<T>(gradient);
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(logits, softTargets, gradient, classes, Reduction.Sum,
                sampleWeights: sampleWeights, zLoss: 1e-3));
            hash.Add<T>(gradient);
            Activations.LogSoftmax<T>(logits, output, classes);
            hash.Add(CategoricalCrossEntropy.FromLogProbabilitiesWithGradient<T>(output, labels, gradient, classes, Reduction.Mean, classWeights,
                labelSmoothing: 0.1, sampleWeights: sampleWeights));
            hash.Add<T>(gradient);

            hash = For("Chunks");
            Activations.LogSumExp<T>(logits, logSumExp, classes);
            int split = classes / 2;
            foreach ((int offset, int width) in new[] { (0, split), (split, classes - split) })
            {
                if (width == 0)
                {
                    continue;
                }

                T[] chunk = new T[rows * width];
                for (int row = 0; row < rows; row++)
                {
                    logits.AsSpan(row * classes + offset, width).CopyTo(chunk.AsSpan(row * width));
                }

                hash.Add(CategoricalCrossEntropy.FromLogitsChunkWithGradient<T>(chunk, labels, logSumExp, chunk, width, offset, classes,
                    Reduction.Mean, classWeights, labelSmoothing: 0.1, sampleWeights: sampleWeights));
                hash.Add<T>(chunk);
            }

            // Focal losses and the KL divergence.
            hash = For("Focal");
            hash.Add(CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, gradient, classes, Reduction.Mean, gamma: 2, classWeights));
            hash.Add<T>(gradient);
            hash.Add(CategoricalCrossEntropy.FocalFromLogitsWithGradient<T>(logits, labels, gradient, classes, Reduction.Sum, gamma: 0.5));
            hash.Add<T>(gradient);
            hash.Add(BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, binaryTargets, gradient));
            hash.Add<T>(gradient);
            hash.Add(BinaryCrossEntropy.FocalFromLogitsWithGradient<T>(logits, binaryTargets, gradient, Reduction.Sum, gamma: 1.5, alpha: -1, classWeights));
            hash.Add<T>(gradient);

            hash = For("KLDivergence");
            hash.Add(KLDivergence.FromLogitsWithGradient<T>(logits, softTargets, gradient, classes, temperature: 2));
            hash.Add<T>(gradient);
            hash.Add(KLDivergence.FromLogProbabilitiesWithGradient<T>(output, softTargets, gradient, classes));
            hash.Add<T>(gradient);
            KLDivergence.FromLogProbabilities<T>(output, output, perRow, classes, logTargets: true);
            hash.Add<T>(perRow);

            // Tensors with the classes on the first dimension: [rows, classes] as rows classes of inner length classes, and as
            // cross-entropy logits [1, rows, classes] with labels [1, classes].
            var tensor = new ReadOnlyTensorSpan<T>(logits, [rows, classes], default);
            T[] perClass = new T[classes];
            int[] classLabels = new int[classes];
            for (int c = 0; c < classes; c++)
            {
                classLabels[c] = random.Below(8) == 0 ? -100 : random.Below(rows);
            }

            hash = For("Tensors");
            Activations.Softmax<T>(tensor, new TensorSpan<T>(output, [rows, classes], default), 0);
            hash.Add<T>(output);
            Activations.LogSoftmax<T>(tensor, new TensorSpan<T>(output, [rows, classes], default), 0);
            hash.Add<T>(output);
            Activations.LogSumExp<T>(tensor, new TensorSpan<T>(perClass, [classes], default), 0);
            hash.Add<T>(perClass);
            int[] classIndices = new int[classes];
            Activations.ArgMax<T>(tensor, new TensorSpan<int>(classIndices, [classes], default), 0);
            hash.Add(classIndices);
            hash.Add(CategoricalCrossEntropy.FromLogitsWithGradient<T>(new ReadOnlyTensorSpan<T>(logits, [1, rows, classes], default),
                new ReadOnlyTensorSpan<int>(classLabels, [1, classes], default), new TensorSpan<T>(gradient, [1, rows, classes], default),
                Reduction.Mean, Fill<T>(rows, random, () => random.Uniform(0, 2)), labelSmoothing: 0.1));
            hash.Add<T>(gradient);
        }

        return hashes;
    }

    private static T[] Fill<T>(int length, SplitMix64 random, Func<double> next) where T : IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateChecked(next());
        }

        return values;
    }

    /// <summary>A fixed pseudo-random sequence (SplitMix64), the same on every runtime.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }

        /// <summary>A double in [low, high), from 53 random bits.</summary>
        public double Uniform(double low, double high) => low + (high - low) * ((Next() >> 11) * (1.0 / (1UL << 53)));

        public int Below(int count) => (int)(Next() % (ulong)count);
    }

    /// <summary>
    /// FNV-1a over 64-bit words, one for each value's bits, with a rotation so that high bits reach the low ones; every NaN
    /// adds the same marker instead. Each step is one-to-one, so results that differ in one value always hash differently.
    /// </summary>
    private sealed class Hash
    {
        private const ulong NaNMarker = 0x4E614E4E614E4E61;

        public ulong Value { get; private set; } = 0xCBF29CE484222325;

        public void Add<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
        {
            foreach (T value in values)
            {
                Add(value);
            }
        }

        public void Add<T>(T value) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (T.IsNaN(value))
            {
                Add(NaNMarker);
                return;
            }

            Add(Unsafe.SizeOf<T>() switch
            {
                2 => Unsafe.As<T, ushort>(ref value),
                4 => Unsafe.As<T, uint>(ref value),
                _ => Unsafe.As<T, ulong>(ref value),
            });
        }

        public void Add(ReadOnlySpan<int> values)
        {
            foreach (int value in values)
            {
                Add((ulong)(uint)value);
            }
        }

        public void Add(ulong bits) => Value = BitOperations.RotateLeft((Value ^ bits) * 0x100000001B3, 29);

        public override string ToString() => Value.ToString("x16");
    }
}

using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
using CrossEntropy.Tests.Infrastructure;
using Xunit;

namespace CrossEntropy.Tests.Determinism;

/// <summary>
/// Tests that set process-wide AppContext data, which every call large enough to go parallel reads: they run alone, after
/// the tests of every other collection, and each puts the data back as it found it.
/// </summary>
[CollectionDefinition(nameof(ProcessSettings), DisableParallelization = true)]
public sealed class ProcessSettings;

/// <summary>
/// The <c>CrossEntropy.MaxDegreeOfParallelism</c> setting: every integer type, whole doubles and floats and decimal strings
/// give their value as the cap (anything above int.MaxValue, none); every other value throws a clear exception from the first
/// call that goes parallel, before it writes, rather than being ignored. Smaller calls never read it.
/// </summary>
[Collection(nameof(ProcessSettings))]
public sealed class MaxDegreeOfParallelismTests
{
    /// <summary>Rows of 64 classes; this many make a batch of <see cref="Parallelism.MinParallelElements"/> elements.</summary>
    private const int Classes = 64;

    private const int ParallelRows = Parallelism.MinParallelElements / Classes;

    public static TheoryData<object?, int> Accepted => new()
    {
        { null, int.MaxValue },
        { (sbyte)3, 3 },
        { (byte)1, 1 },
        { (short)1, 1 },
        { (ushort)2, 2 },
        { 1, 1 },
        { 1u, 1 },
        { 1L, 1 },
        { 5UL, 5 },
        { (nint)2, 2 },
        { (nuint)3, 3 },
        { 1.0, 1 },
        { 4f, 4 },
        { "1", 1 },
        { " 12 ", 12 },
        { "+2", 2 },
        { int.MaxValue, int.MaxValue },
        { (long)int.MaxValue + 1, int.MaxValue },
        { (uint)int.MaxValue + 1, int.MaxValue },
        { long.MaxValue, int.MaxValue },
        { ulong.MaxValue, int.MaxValue },
        { nuint.MaxValue, int.MaxValue },
        { 1e300, int.MaxValue },
        { "2147483648", int.MaxValue },
        { "123456789012345678901234567890", int.MaxValue },
    };

    public static TheoryData<object, string> Rejected => new()
    {
        { 0, "0 (Int32)" },
        { -1, "-1 (Int32)" },
        { (sbyte)-1, "-1 (SByte)" },
        { (short)0, "0 (Int16)" },
        { 0L, "0 (Int64)" },
        { long.MinValue, "-9223372036854775808 (Int64)" },
        { 0UL, "0 (UInt64)" },
        { (nint)(-4), "-4 (IntPtr)" },
        { 0.0, "0 (Double)" },
        { -2.0, "-2 (Double)" },
        { 1.5, "1.5 (Double)" },
        { 0.5f, "0.5 (Single)" },
        { double.NaN, "NaN (Double)" },
        { double.PositiveInfinity, "Infinity (Double)" },
        { 2m, "2 (Decimal)" },
        { true, "True (Boolean)" },
        { '1', "1 (Char)" },
        { "0", "\"0\" (String)" },
        { "-3", "\"-3\" (String)" },
        { "", "\"\" (String)" },
        { "two", "\"two\" (String)" },
        { "1.5", "\"1.5\" (String)" },
        { "1e3", "\"1e3\" (String)" },
        { "0x1", "\"0x1\" (String)" },
        { "1,000", "\"1,000\" (String)" },
    };

    // The values' types (nint, sbyte...) do not serialize, so each theory runs its rows as one test case.
    [Theory]
    [MemberData(nameof(Accepted), DisableDiscoveryEnumeration = true)]
    public void AcceptedValuesCapTheThreads(object? value, int cap)
    {
        using (Setting(value))
        {
            Assert.Equal(cap, Parallelism.MaxDegreeOfParallelism());

            // A parallel call runs through.
            float[] x = Logits(ParallelRows);
            CrossEntropy.Activations.Softmax(x, new float[x.Length], Classes);
        }
    }

    [Theory]
    [MemberData(nameof(Rejected), DisableDiscoveryEnumeration = true)]
    public void RejectedValuesThrowFromTheFirstParallelCallBeforeWriting(object value, string shown)
    {
        using (Setting(value))
        {
            var exception = Assert.Throws<InvalidOperationException>(() => Parallelism.MaxDegreeOfParallelism());
            Assert.Contains(Parallelism.MaxDegreeOfParallelismSetting, exception.Message, StringComparison.Ordinal);
            Assert.Contains($"holds {shown};", exception.Message, StringComparison.Ordinal);

            float[] x = Logits(ParallelRows);
            float[] destination = new float[x.Length];
            destination.AsSpan().Fill(-1);
            exception = Assert.Throws<InvalidOperationException>(() => CrossEntropy.Activations.Softmax(x, destination, Classes));
            Assert.Contains(Parallelism.MaxDegreeOfParallelismSetting, exception.Message, StringComparison.Ordinal);
            Check<float>.Unchanged(destination, -1, $"softmax with the setting {shown}");
            Assert.Throws<InvalidOperationException>(() => CategoricalCrossEntropy.FromLogits(x, new int[ParallelRows], Classes));

            // One row fewer stays on the calling thread and never reads the setting.
            x = Logits(ParallelRows - 1);
            CrossEntropy.Activations.Softmax(x, new float[x.Length], Classes);
        }
    }

    /// <summary>
    /// With a cap of 2, another thread runs a chunk while the first chunk waits for one (which also leaves a pool thread
    /// idle and ready); with a cap of 1, every chunk of a large batch runs on the calling thread, although the first waits a
    /// second for another thread.
    /// </summary>
    [Fact]
    public void TheCapDecidesTheThreads()
    {
        if (Environment.ProcessorCount >= 2)
        {
            using (Setting("2"))
            {
                Assert.Equal(2, ChunkThreads(TimeSpan.FromMinutes(1)).Length);
            }
        }

        using (Setting(1))
        {
            Assert.Equal([Environment.CurrentManagedThreadId], ChunkThreads(TimeSpan.FromSeconds(1)));
        }
    }

    /// <summary>
    /// The distinct threads that ran the chunks of a batch of <see cref="Parallelism.MinParallelElements"/> elements, the
    /// first chunk waiting up to <paramref name="wait"/> for another thread to run a chunk.
    /// </summary>
    private static int[] ChunkThreads(TimeSpan wait)
    {
        var kernel = new ThreadKernel { Threads = [], Wait = wait };
        Parallelism.Run<ThreadKernel, float>(ref kernel, VectorWidth.Scalar, ParallelRows, Classes, inOrder: false);
        Assert.Equal(Parallelism.MinParallelElements / Parallelism.MinChunkElements, kernel.Threads.Count);
        return [.. new SortedSet<int>(kernel.Threads)];
    }

    private static float[] Logits(int rows) => TestData.To<float>(TestData.Uniform(new Random(rows), rows * Classes, 10));

    private static SettingScope Setting(object? value)
    {
        var scope = new SettingScope(AppContext.GetData(Parallelism.MaxDegreeOfParallelismSetting));
        AppContext.SetData(Parallelism.MaxDegreeOfParallelismSetting, value);
        return scope;
    }

    private readonly struct SettingScope(object? previous) : IDisposable
    {
        public void Dispose() => AppContext.SetData(Parallelism.MaxDegreeOfParallelismSetting, previous);
    }

    /// <summary>Records the thread of each chunk; the first chunk waits up to <see cref="Wait"/> for another thread to run one.</summary>
    private struct ThreadKernel : IKernel
    {
        public List<int> Threads;
        public TimeSpan Wait;

        public readonly double Run<TBlock, T>(int start, int end)
            where TBlock : struct, IBlock<TBlock, T>
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            List<int> threads = Threads;
            int thread = Environment.CurrentManagedThreadId;
            lock (threads)
            {
                threads.Add(thread);
            }

            if (start == 0)
            {
                SpinWait.SpinUntil(
                    () =>
                    {
                        lock (threads)
                        {
                            return threads.Exists(other => other != thread);
                        }
                    },
                    Wait);
            }

            return 0;
        }
    }
}

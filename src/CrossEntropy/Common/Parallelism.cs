using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace CrossEntropy;

/// <summary>
/// Spreads a batch over the thread pool. A batch splits into at most <see cref="MaxChunks"/> chunks of consecutive items,
/// of at least <see cref="MinChunkElements"/> elements where the batch allows, fixed by the batch's shape alone; each chunk's result is computed in item order and the chunks' results are added in
/// chunk order, on one thread or many. So a reduced loss has the same bits whatever the thread count.
/// </summary>
/// <remarks>
/// Users cap the threads with <c>AppContext.SetData("CrossEntropy.MaxDegreeOfParallelism", 1)</c> (or the runtime
/// configuration option of that name); the default is every core the runtime sees.
/// </remarks>
internal static class Parallelism
{
    /// <summary>The name of the AppContext setting that caps the threads of one call.</summary>
    public const string MaxDegreeOfParallelismSetting = "CrossEntropy.MaxDegreeOfParallelism";

    /// <summary>The most chunks a batch splits into.</summary>
    public const int MaxChunks = 64;

    /// <summary>The fewest elements a chunk holds where the batch has enough: a small batch is one chunk, with no per-chunk costs.</summary>
    public const int MinChunkElements = 4096;

    /// <summary>Batches with fewer elements stay on the calling thread: below this, handing work to other threads costs more than it saves.</summary>
    public const int MinParallelElements = 1 << 17;

    [ThreadStatic]
    private static int t_forcedThreads;

    [ThreadStatic]
    private static int t_forcedChunkElements;

    /// <summary>
    /// Runs every call on this thread with exactly <paramref name="threads"/> threads (as many as there are chunks) whatever
    /// the batch size, and chunks of at least <paramref name="minChunkElements"/> elements, until the returned scope is
    /// disposed (tests only: small chunks take small batches through the parallel path).
    /// </summary>
    public static ForceScope Force(int threads, int minChunkElements = MinChunkElements)
    {
        var scope = new ForceScope(t_forcedThreads, t_forcedChunkElements);
        t_forcedThreads = threads;
        t_forcedChunkElements = minChunkElements;
        return scope;
    }

    /// <summary>The threads for a batch of <paramref name="elements"/> elements in <paramref name="chunks"/> chunks.</summary>
    private static int Threads(long elements, int chunks)
    {
        int threads = t_forcedThreads;
        if (threads == 0)
        {
            if (elements < MinParallelElements)
            {
                return 1;
            }

            threads = Math.Min(Environment.ProcessorCount, MaxDegreeOfParallelism());
        }

        return Math.Clamp(threads, 1, chunks);
    }

    private static int MaxDegreeOfParallelism() => AppContext.GetData(MaxDegreeOfParallelismSetting) switch
    {
        int value when value > 0 => value,
        string text when int.TryParse(text, out int value) && value > 0 => value,
        _ => int.MaxValue,
    };

    public static unsafe double Run<TKernel, T>(ref TKernel kernel, VectorWidth width, int items, int itemLength)
        where TKernel : IKernel, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (items == 0)
        {
            return 0;
        }

        int chunkElements = t_forcedChunkElements == 0 ? MinChunkElements : t_forcedChunkElements;
        int chunks = (int)Math.Clamp((long)items * itemLength / chunkElements, 1, Math.Min(items, MaxChunks));
        int threads = Threads((long)items * itemLength, chunks);
        if (threads == 1)
        {
            double total = 0;
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                total += Simd.Run<TKernel, T>(ref kernel, width, Start(chunk, items, chunks), Start(chunk + 1, items, chunks));
            }

            return total;
        }

        double* results = stackalloc double[chunks];
        RunChunks<TKernel, T>((nint)Unsafe.AsPointer(ref kernel), width, items, chunks, threads, (nint)results);
        double sum = 0;
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            sum += results[chunk];
        }

        return sum;
    }

    /// <summary>
    /// Runs the chunks on up to <paramref name="threads"/> pool threads, writing each chunk's result to its slot. The workers
    /// reach the kernel on the calling thread's stack, which lives until they are done; the spans in it stay tracked by the
    /// garbage collector, as every copy of a span is. (Kept apart so that only parallel calls allocate the closure.)
    /// </summary>
    private static unsafe void RunChunks<TKernel, T>(nint kernelAddress, VectorWidth width, int items, int chunks, int threads, nint resultsAddress)
        where TKernel : IKernel, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, chunk =>
        {
            ref TKernel kernel = ref Unsafe.AsRef<TKernel>((void*)kernelAddress);
            ((double*)resultsAddress)[chunk] = Simd.Run<TKernel, T>(ref kernel, width, Start(chunk, items, chunks), Start(chunk + 1, items, chunks));
        });

    /// <summary>The first item of <paramref name="chunk"/>: chunks differ in size by one item at most.</summary>
    public static int Start(int chunk, int items, int chunks) => (int)((long)items * chunk / chunks);

    public readonly struct ForceScope(int threads, int chunkElements) : IDisposable
    {
        public void Dispose()
        {
            t_forcedThreads = threads;
            t_forcedChunkElements = chunkElements;
        }
    }
}

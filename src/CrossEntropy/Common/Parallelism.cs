using System;
using System.Globalization;
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
/// configuration option of that name, which arrives as a string); the default is every core the runtime sees. The setting
/// is read on each call large enough to go parallel, so a change takes effect at the next call; see
/// <see cref="MaxDegreeOfParallelism"/> for the values it takes.
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

    [ThreadStatic]
    private static bool t_forcedLastFirst;

    /// <summary>
    /// Runs every call on this thread with exactly <paramref name="threads"/> threads (as many as there are chunks) whatever
    /// the batch size, and chunks of at least <paramref name="minChunkElements"/> elements, until the returned scope is
    /// disposed (tests only: small chunks take small batches through the parallel path). Where <paramref name="lastFirst"/>
    /// is set, the threads take the chunks from the last to the first, so that a chunk that wrote over rows an earlier chunk
    /// reads would do so before they are read, on every run.
    /// </summary>
    public static ForceScope Force(int threads, int minChunkElements = MinChunkElements, bool lastFirst = false)
    {
        var scope = new ForceScope(t_forcedThreads, t_forcedChunkElements, t_forcedLastFirst);
        t_forcedThreads = threads;
        t_forcedChunkElements = minChunkElements;
        t_forcedLastFirst = lastFirst;
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

    /// <summary>
    /// The cap the <see cref="MaxDegreeOfParallelismSetting"/> setting puts on the threads of one call: <see cref="int.MaxValue"/>
    /// where it is unset. It takes a positive whole number of any integer type, a <see cref="double"/> or <see cref="float"/>
    /// with a whole value, or a string of one in decimal (as a runtime configuration option arrives); values above
    /// <see cref="int.MaxValue"/> mean no cap.
    /// </summary>
    /// <exception cref="InvalidOperationException">The setting holds anything else: 0, a negative or fractional number, text that is not a decimal integer, another type.</exception>
    public static int MaxDegreeOfParallelism()
    {
        object? value = AppContext.GetData(MaxDegreeOfParallelismSetting);
        BigInteger? cap = value switch
        {
            null => int.MaxValue,
            sbyte n => n,
            byte n => n,
            short n => n,
            ushort n => n,
            int n => n,
            uint n => n,
            long n => n,
            ulong n => n,
            nint n => n,
            nuint n => n,
            double n when double.IsInteger(n) => new BigInteger(n),
            float n when float.IsInteger(n) => new BigInteger(n),
            string text when BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out BigInteger n) => n,
            _ => null,
        };
        return cap > 0
            ? (int)BigInteger.Min(cap.Value, int.MaxValue)
            : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The AppContext setting {MaxDegreeOfParallelismSetting} holds {(value is string ? $"\"{value}\"" : value)} ({value?.GetType().Name}); it takes a positive whole number: of an integer type, a double or float with a whole value, or a string of decimal digits."));
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> over <paramref name="items"/> items of <paramref name="itemLength"/> elements and returns the
    /// sum of the chunks' results. Where <paramref name="inOrder"/> is set, the chunks run one after the other on the calling
    /// thread: for an output that lies over an input and is written faster than that input is read (one value per row over
    /// the rows themselves), where a chunk would overwrite rows an earlier chunk has yet to read. The chunks are the same
    /// either way, and so are the bits.
    /// </summary>
    public static unsafe double Run<TKernel, T>(ref TKernel kernel, VectorWidth width, int items, int itemLength, bool inOrder)
        where TKernel : IKernel, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (items == 0)
        {
            return 0;
        }

        int chunkElements = t_forcedChunkElements == 0 ? MinChunkElements : t_forcedChunkElements;
        long elements = (long)items * itemLength;
        if (elements < 2L * chunkElements)
        {
            // One chunk, on this thread: a small batch skips the divisions below.
            return Simd.Run<TKernel, T>(ref kernel, width, 0, items);
        }

        int chunks = (int)Math.Clamp(elements / chunkElements, 1, Math.Min(items, MaxChunks));
        int threads = inOrder ? 1 : Threads(elements, chunks);
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
        RunChunks<TKernel, T>((nint)Unsafe.AsPointer(ref kernel), width, items, chunks, threads, t_forcedLastFirst, (nint)results);
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
    /// <paramref name="lastFirst"/> hands out the chunks from the last (see <see cref="Force"/>).
    /// </summary>
    private static unsafe void RunChunks<TKernel, T>(nint kernelAddress, VectorWidth width, int items, int chunks, int threads, bool lastFirst, nint resultsAddress)
        where TKernel : IKernel, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, index =>
        {
            int chunk = lastFirst ? chunks - 1 - index : index;
            ref TKernel kernel = ref Unsafe.AsRef<TKernel>((void*)kernelAddress);
            ((double*)resultsAddress)[chunk] = Simd.Run<TKernel, T>(ref kernel, width, Start(chunk, items, chunks), Start(chunk + 1, items, chunks));
        });

    /// <summary>The first item of <paramref name="chunk"/>: chunks differ in size by one item at most.</summary>
    public static int Start(int chunk, int items, int chunks) => (int)((long)items * chunk / chunks);

    public readonly struct ForceScope(int threads, int chunkElements, bool lastFirst) : IDisposable
    {
        public void Dispose()
        {
            t_forcedThreads = threads;
            t_forcedChunkElements = chunkElements;
            t_forcedLastFirst = lastFirst;
        }
    }
}

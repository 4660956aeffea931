using System;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>Measures what a call allocates on the calling thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes one of five calls of <paramref name="call"/> allocates on this thread, after a first call. The runtime
    /// itself may allocate on the calling thread now and then while it compiles or re-compiles code (tiering, on-stack
    /// replacement); a call that allocates does so every time, so the fewest is 0 exactly when the call allocates nothing.
    /// </summary>
    public static long Fewest(Action call)
    {
        call();
        long fewest = long.MaxValue;
        for (int i = 0; i < 5 && fewest != 0; i++)
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            call();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - start);
        }

        return fewest;
    }
}

using System;

namespace CrossEntropy.Benchmarks;

/// <summary>Sets how many threads one call of the library may use, through the switch it reads (absent: every core).</summary>
internal static class Parallelism
{
    public const string MaxDegreeOfParallelismSwitch = "CrossEntropy.MaxDegreeOfParallelism";

    public static void Limit(int threads) => AppContext.SetData(MaxDegreeOfParallelismSwitch, threads);
}

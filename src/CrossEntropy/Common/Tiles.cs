using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace CrossEntropy;

/// <summary>
/// Square tiles of 16-byte vectors transposed in registers: four vectors of four floats, or two of two doubles. Vector i of
/// the result holds lane i of every vector of the tile, in order. Only lanes move, so every path gives the same bits.
/// </summary>
internal static class Tiles
{
    /// <summary>The tile of four vectors of four 32-bit lanes, transposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tile<T> Transpose<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c, Vector128<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // a0 b0 a1 b1, c0 d0 c1 d1, a2 b2 a3 b3, c2 d2 c3 d3; then their 64-bit halves paired.
        Vector128<double> ab = InterleaveLower(a.As<T, float>(), b.As<T, float>()).AsDouble();
        Vector128<double> cd = InterleaveLower(c.As<T, float>(), d.As<T, float>()).AsDouble();
        Vector128<double> abUpper = InterleaveUpper(a.As<T, float>(), b.As<T, float>()).AsDouble();
        Vector128<double> cdUpper = InterleaveUpper(c.As<T, float>(), d.As<T, float>()).AsDouble();
        return new(
            InterleaveLower(ab, cd).As<double, T>(),
            InterleaveUpper(ab, cd).As<double, T>(),
            InterleaveLower(abUpper, cdUpper).As<double, T>(),
            InterleaveUpper(abUpper, cdUpper).As<double, T>());
    }

    /// <summary>The tile of two vectors of two 64-bit lanes, transposed, in the first two vectors of the result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tile<T> Transpose<T>(Vector128<T> a, Vector128<T> b)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new(
            InterleaveLower(a.As<T, double>(), b.As<T, double>()).As<double, T>(),
            InterleaveUpper(a.As<T, double>(), b.As<T, double>()).As<double, T>(),
            default,
            default);

    /// <summary>The lanes of the lower halves of <paramref name="a"/> and <paramref name="b"/>, alternating: a0 b0 (a1 b1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<TLane> InterleaveLower<TLane>(Vector128<TLane> a, Vector128<TLane> b)
        where TLane : unmanaged
    {
        if (typeof(TLane) == typeof(float))
        {
            return Sse.IsSupported ? Sse.UnpackLow(a.AsSingle(), b.AsSingle()).As<float, TLane>()
                : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.ZipLow(a.AsSingle(), b.AsSingle()).As<float, TLane>()
                : Vector128.Create(a.AsSingle()[0], b.AsSingle()[0], a.AsSingle()[1], b.AsSingle()[1]).As<float, TLane>();
        }

        return Sse2.IsSupported ? Sse2.UnpackLow(a.AsDouble(), b.AsDouble()).As<double, TLane>()
            : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.ZipLow(a.AsDouble(), b.AsDouble()).As<double, TLane>()
            : Vector128.Create(a.AsDouble()[0], b.AsDouble()[0]).As<double, TLane>();
    }

    /// <summary>The lanes of the upper halves of <paramref name="a"/> and <paramref name="b"/>, alternating: (a2 b2) a3 b3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<TLane> InterleaveUpper<TLane>(Vector128<TLane> a, Vector128<TLane> b)
        where TLane : unmanaged
    {
        if (typeof(TLane) == typeof(float))
        {
            return Sse.IsSupported ? Sse.UnpackHigh(a.AsSingle(), b.AsSingle()).As<float, TLane>()
                : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.ZipHigh(a.AsSingle(), b.AsSingle()).As<float, TLane>()
                : Vector128.Create(a.AsSingle()[2], b.AsSingle()[2], a.AsSingle()[3], b.AsSingle()[3]).As<float, TLane>();
        }

        return Sse2.IsSupported ? Sse2.UnpackHigh(a.AsDouble(), b.AsDouble()).As<double, TLane>()
            : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.ZipHigh(a.AsDouble(), b.AsDouble()).As<double, TLane>()
            : Vector128.Create(a.AsDouble()[1], b.AsDouble()[1]).As<double, TLane>();
    }
}

/// <summary>Four 16-byte vectors: the rows or the columns of a tile.</summary>
internal readonly struct Tile<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c, Vector128<T> d)
    where T : unmanaged
{
    public readonly Vector128<T> A = a;
    public readonly Vector128<T> B = b;
    public readonly Vector128<T> C = c;
    public readonly Vector128<T> D = d;
}

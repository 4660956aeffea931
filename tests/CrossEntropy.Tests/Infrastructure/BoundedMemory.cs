using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.InteropServices;

namespace CrossEntropy.Tests.Infrastructure;

/// <summary>Allocates <see cref="BoundedMemory{T}"/> with the Linux x64 memory-mapping calls of libc.</summary>
internal static partial class BoundedMemory
{
    private const int ProtNone = 0;
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;

    /// <summary>A buffer of <paramref name="length"/> elements whose last element sits right before a PROT_NONE page.</summary>
    public static BoundedMemory<T> Allocate<T>(int length)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        nuint pageSize = (nuint)Environment.SystemPageSize;
        nuint bytes = (nuint)length * (nuint)Marshal.SizeOf<T>();
        nuint dataPages = (bytes + pageSize - 1) / pageSize;
        nuint regionSize = (dataPages + 1) * pageSize;

        nint region = Mmap(0, regionSize, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (region == -1)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "mmap failed.");
        }

        nint guard = region + (nint)(dataPages * pageSize);
        if (Mprotect(guard, pageSize, ProtNone) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            _ = Munmap(region, regionSize);
            throw new Win32Exception(error, "mprotect failed.");
        }

        return new BoundedMemory<T>(region, regionSize, guard - (nint)bytes, length);
    }

    /// <summary>A buffer holding <paramref name="values"/> rounded to <typeparamref name="T"/> (see <see cref="Allocate{T}"/>).</summary>
    public static BoundedMemory<T> Holding<T>(ReadOnlySpan<double> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        BoundedMemory<T> memory = Allocate<T>(values.Length);
        TestData.To<T>(values).CopyTo(memory.Span);
        return memory;
    }

    internal static void Free(nint region, nuint size)
    {
        if (Munmap(region, size) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "munmap failed.");
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fileDescriptor, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}

/// <summary>
/// Native memory for <see cref="Length"/> elements of <typeparamref name="T"/>, ending right before an inaccessible
/// guard page: any read or write past the end of <see cref="Span"/> crashes the test run instead of passing unnoticed.
/// </summary>
internal sealed unsafe class BoundedMemory<T> : IDisposable
    where T : unmanaged
{
    private readonly nint _region;
    private readonly nuint _regionSize;
    private readonly T* _first;
    private bool _disposed;

    internal BoundedMemory(nint region, nuint regionSize, nint first, int length)
    {
        _region = region;
        _regionSize = regionSize;
        _first = (T*)first;
        Length = length;
    }

    public int Length { get; }

    public Span<T> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return new Span<T>(_first, Length);
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            BoundedMemory.Free(_region, _regionSize);
        }
    }
}

namespace ActorEcho.LoadEngine;

/// <summary>
/// The bytes every bench connection sends: connection <c>c</c> sends, at stream offset <c>i</c>, the byte
/// <c>Bytes[(Start(c) + i) % Period]</c>. The table is random (fixed seed), so a dropped, duplicated, shifted or
/// flipped byte shows up at once, and each connection starts at its own place in it, so an echo that crosses
/// connections shows up too. The table holds two periods back to back, so any run of up to
/// <see cref="Period"/> bytes is one contiguous slice: sending is slicing (no copy) and checking is one
/// vectorised compare. One table is shared by all connections.
/// </summary>
public sealed class EchoPattern
{
    /// <summary>Largest slice handed out at once: sends and receives are at most this long.</summary>
    public const int Period = 1 << 20;

    // Far enough apart (and coprime with the period) that two connections' streams never line up in practice.
    private const long ConnectionStride = 104_729;

    private readonly byte[] _bytes = new byte[2 * Period];

    public static EchoPattern Shared { get; } = new();

    private EchoPattern()
    {
        new Random(20_000).NextBytes(_bytes.AsSpan(0, Period));
        _bytes.AsSpan(0, Period).CopyTo(_bytes.AsSpan(Period));
    }

    public static long Start(int connection) => connection * ConnectionStride % Period;

    /// <summary>What connection with start <paramref name="start"/> sends at <paramref name="offset"/>,
    /// <paramref name="length"/> ≤ <see cref="Period"/> bytes of it.</summary>
    public ReadOnlyMemory<byte> Slice(long start, long offset, int length) =>
        new(_bytes, (int)((start + offset) % Period), length);

    /// <summary>Index of the first byte of <paramref name="received"/> that differs from what was sent at
    /// <paramref name="offset"/>, or -1 when all match.</summary>
    public int FirstMismatch(long start, long offset, ReadOnlySpan<byte> received)
    {
        var expected = _bytes.AsSpan((int)((start + offset) % Period), received.Length);
        if (received.SequenceEqual(expected))
            return -1;
        return received.CommonPrefixLength(expected);
    }

    public byte Expected(long start, long offset) => _bytes[(int)((start + offset) % Period)];
}

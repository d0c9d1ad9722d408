using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Tests.Cli;

/// <summary>
/// A deliberately wrong echo server on a free loopback port, to check that clients catch it: it echoes
/// faithfully except that it flips the byte at <see cref="FlipByteAt"/> (of each connection's stream), or closes
/// the connection once it has echoed <see cref="CloseAfter"/> bytes, or (<see cref="Silent"/>) reads and never
/// echoes at all. <see cref="Faithful"/> makes no mistake, for specs that need to know when traffic began
/// (<see cref="FirstBytesReceived"/>).
/// </summary>
internal sealed class FaultyEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    public long? FlipByteAt { get; private init; }
    public long? CloseAfter { get; private init; }
    public bool IsSilent { get; private init; }

    /// <summary>Completes when any connection has received its first bytes.</summary>
    public Task FirstBytesReceived => _firstBytes.Task;
    private readonly TaskCompletionSource _firstBytes = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FaultyEchoServer(long? flipByteAt, long? closeAfter, bool silent = false)
    {
        FlipByteAt = flipByteAt;
        CloseAfter = closeAfter;
        IsSilent = silent;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static FaultyEchoServer FlippingByte(long offset) => new(offset, null);
    public static FaultyEchoServer ClosingAfter(long bytes) => new(null, bytes);
    public static FaultyEchoServer Silent() => new(null, null, silent: true);
    public static FaultyEchoServer Faithful() => new(null, null);

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_connections)
                    _connections.Add(EchoAsync(client));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task EchoAsync(Socket client)
    {
        using var _ = client;
        var buffer = new byte[64 * 1024];
        long echoed = 0;
        try
        {
            while (true)
            {
                var limit = CloseAfter is { } close ? (int)Math.Min(buffer.Length, close - echoed) : buffer.Length;
                if (limit == 0)
                    return; // the early close
                var received = await client.ReceiveAsync(buffer.AsMemory(0, limit), SocketFlags.None, _stop.Token);
                if (received == 0)
                {
                    if (IsSilent) // and keeps the connection open: the client has to give up by itself
                        await Task.Delay(Timeout.InfiniteTimeSpan, _stop.Token);
                    return;
                }
                _firstBytes.TrySetResult();
                if (IsSilent)
                    continue;
                if (FlipByteAt is { } flip && flip >= echoed && flip < echoed + received)
                    buffer[flip - echoed] ^= 0xFF;
                await client.SendAsync(buffer.AsMemory(0, received), SocketFlags.None, _stop.Token);
                echoed += received;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // the test is over, or the client gave up on us: both expected
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_connections)
            connections = [.. _connections];
        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}

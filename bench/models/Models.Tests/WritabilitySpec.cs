using System.Net;
using System.Net.Sockets;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Models.Tests;

/// <summary>
/// The lesson's writable-readiness shortcut, shown: a client sends as fast as the server takes its bytes and reads
/// nothing. The event loop that writes and hopes loses bytes and drops that client (its loop goes on serving the
/// others); the loop that waits for writability and ActorEcho stop reading the client instead, hold a bounded
/// amount, and echo every byte once the client reads.
/// </summary>
public sealed class WritabilitySpec(ITestOutputHelper output)
{
    /// <summary>More than any bounded server plus the kernel's buffers on both sides (a server's receive buffer
    /// auto-tunes up to tcp_rmem's 32 MiB here): a client that can push this much is pushing into unbounded memory.</summary>
    private const long UnboundedBytes = 96L * 1024 * 1024;

    [Fact]
    public async Task EventLoop_loses_bytes_and_drops_a_client_that_stops_reading_but_keeps_serving_others()
    {
        await using var server = await RunningModel.StartAsync(RunningModel.EventLoop);
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var client = StopReadingClient.Connect(server.Endpoint);

        // A long stall wait: only a server thread starved by a busy machine would pause this loop that long.
        var push = await Task.Run(() => client.PushUntilStalledOrDropped(TimeSpan.FromSeconds(5)), ct);

        // The server's Send could not take a whole echo: it reported WouldBlock, and the lesson's error path
        // dropped the client (a reset, since the client's later bytes were unread).
        Assert.Equal(StopReadingClient.Outcome.Dropped, push.Outcome);
        Assert.Contains(server.Log.Lines, line => line.StartsWith("Error writing to client", StringComparison.Ordinal));
        var echoed = await client.ReadBackAsync(ct);
        output.WriteLine($"pushed {push.Sent:N0} bytes until {push.Error}; {echoed.Received:N0} came back");
        Assert.True(echoed.Received < push.Sent, $"all {push.Sent} bytes came back");
        await LoopbackClient.AssertServesAFreshClientAsync(server.Endpoint, ct);
    }

    [Theory]
    [InlineData(RunningModel.EventLoopWritable)]
    [InlineData(RunningModel.ActorEcho)]
    public async Task Keeps_every_byte_of_a_client_that_stops_reading_in_bounded_memory(string model)
    {
        await using var server = await RunningModel.StartAsync(model);
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var client = StopReadingClient.Connect(server.Endpoint);

        var push = await Task.Run(() => client.PushUntilStalledOrDropped(StopReadingClient.StallWait), ct);

        // The server stopped taking bytes: it holds a bounded amount for this client, and serves the others.
        Assert.Equal(StopReadingClient.Outcome.Stalled, push.Outcome);
        await LoopbackClient.AssertServesAFreshClientAsync(server.Endpoint, ct);
        if (server.Server is EventLoopWritableServer loop)
            Assert.InRange(loop.PeakBufferedBytes, 1, EventLoopWritableServer.OutputLimit + EventLoopWritableServer.ReadSize);

        var echoed = await client.ReadBackAsync(ct);
        output.WriteLine($"pushed {push.Sent:N0} bytes before the server stopped taking them; {echoed.Received:N0} came back");
        Assert.Equal(push.Sent, echoed.Received);
        Assert.Equal(-1, echoed.FirstWrongByte);
    }

    /// <summary>A client with small fixed socket buffers (no auto-tuning on its side) that sends a known pattern
    /// without reading, then half-closes and reads everything back.</summary>
    private sealed class StopReadingClient : IDisposable
    {
        public enum Outcome { Stalled, Dropped, Unbounded }

        private const int SocketBufferSize = 64 * 1024;
        private const int Period = 251; // byte k of the stream is k % 251: a lost or repeated chunk shows

        /// <summary>No room to send for this long counts as stalled (a "nothing happens within" check). A busy
        /// machine may make it stall early; the read-back still checks every byte.</summary>
        public static readonly TimeSpan StallWait = TimeSpan.FromMilliseconds(500);

        private static readonly byte[] Pattern = Enumerable.Range(0, Period * 300).Select(k => (byte)(k % Period)).ToArray();

        private readonly Socket _socket;

        private StopReadingClient(Socket socket) => _socket = socket;

        public static StopReadingClient Connect(IPEndPoint endpoint)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            {
                SendBufferSize = SocketBufferSize,
                ReceiveBufferSize = SocketBufferSize,
            };
            socket.Connect(endpoint);
            socket.Blocking = false;
            return new StopReadingClient(socket);
        }

        public (Outcome Outcome, long Sent, SocketError Error) PushUntilStalledOrDropped(TimeSpan stallWait)
        {
            long sent = 0;
            while (sent < UnboundedBytes)
            {
                var offset = (int)(sent % Period);
                var written = _socket.Send(Pattern, offset, Pattern.Length - Period, SocketFlags.None, out var error);
                sent += written;
                if (written > 0 || error == SocketError.Success)
                    continue;
                if (error != SocketError.WouldBlock)
                    return (Outcome.Dropped, sent, error);
                if (!_socket.Poll(stallWait, SelectMode.SelectWrite))
                    return (Outcome.Stalled, sent, error);
            }
            return (Outcome.Unbounded, sent, SocketError.Success);
        }

        /// <summary>Half-closes (if the connection still exists) and reads to the end, checking the pattern.</summary>
        public async Task<(long Received, long FirstWrongByte)> ReadBackAsync(CancellationToken cancellationToken)
        {
            _socket.Blocking = true;
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // Already reset by the server.
            }
            var buffer = new byte[64 * 1024];
            long received = 0;
            long firstWrong = -1;
            try
            {
                int read;
                while ((read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
                {
                    if (firstWrong < 0)
                    {
                        var mismatch = buffer.AsSpan(0, read).CommonPrefixLength(Pattern.AsSpan((int)(received % Period), read));
                        if (mismatch < read)
                            firstWrong = received + mismatch;
                    }
                    received += read;
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
            {
            }
            return (received, firstWrong);
        }

        public void Dispose() => _socket.Dispose();
    }
}

using System.Diagnostics;
using System.Net.Sockets;
using System.Net;
using System.Runtime.CompilerServices;
using ActorEcho.Actors;
using ActorEcho.Configuration;
using Akka;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorEcho.Tests.Support.TestSockets;

namespace ActorEcho.Tests.Actors;

/// <summary>
/// The listener and its connection actors over real loopback sockets, in an actor system configured like the
/// shipped server (its <c>akka.io.tcp</c> frame size in particular). Every listener binds port 0.
/// </summary>
public sealed class EchoListenerSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigLoader.Defaults, output: output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Socket buffer size for the specs about backpressure: fixed buffers on both ends switch off the
    /// kernel's auto-tuning, which could otherwise hide megabytes in loopback buffers and make the server's own
    /// buffering impossible to observe from the client.</summary>
    private const int SocketBufferSize = 64 * 1024;

    /// <summary>Idle timeout off so that only the specs about it see it; a short drain timeout so that a
    /// drain that hangs fails fast.</summary>
    private static readonly EchoSettings BaseSettings = new()
    {
        BindAddress = "127.0.0.1:0",
        IdleTimeout = null,
        DrainTimeout = TimeSpan.FromSeconds(5),
    };

    private static readonly EchoSettings SmallSocketBuffers = BaseSettings with
    {
        SocketReceiveBufferSize = SocketBufferSize,
        SocketSendBufferSize = SocketBufferSize,
    };

    [Fact]
    public async Task Fifty_concurrent_clients_each_get_exactly_their_own_bytes_back()
    {
        var (listener, endpoint) = await StartListenerAsync();
        using var deadline = Deadline(30);

        var clients = Enumerable.Range(0, 50).Select(async i =>
        {
            using var socket = await ConnectAsync(endpoint, deadline.Token);
            var data = RandomBytes(16 * 1024 + i, seed: i);
            var echoed = await EchoWithHalfCloseAsync(socket, data, deadline.Token);
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"client {i} got {echoed.Length} bytes that differ from its {data.Length}");
        });
        await Task.WhenAll(clients);

        await AwaitAssertAsync(async () =>
        {
            var stats = await listener.Ask<EchoListener.ListenerStats>(EchoListener.GetStats.Instance, AskTimeout);
            Assert.Equal(new EchoListener.ListenerStats(Active: 0, Accepted: 50, Rejected: 0, Closed: 50), stats);
        }, TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64 * 1024)]
    [InlineData(3 * 1024 * 1024 + 7)]
    public async Task A_half_closed_client_gets_every_byte_in_order_then_eof(int length)
    {
        var (_, endpoint) = await StartListenerAsync();
        using var deadline = Deadline(20);
        using var socket = await ConnectAsync(endpoint, deadline.Token);
        var data = RandomBytes(length, seed: length);

        var echoed = await EchoWithHalfCloseAsync(socket, data, deadline.Token);

        Assert.Equal(data.Length, echoed.Length);
        Assert.True(data.AsSpan().SequenceEqual(echoed), "the echo differs from what was sent");
    }

    [Fact]
    public async Task Several_half_closed_clients_at_once_each_get_all_their_bytes()
    {
        var (_, endpoint) = await StartListenerAsync();
        using var deadline = Deadline(30);

        await Task.WhenAll(Enumerable.Range(1, 4).Select(async i =>
        {
            using var socket = await ConnectAsync(endpoint, deadline.Token);
            var data = RandomBytes(2 * 1024 * 1024, seed: 100 + i);
            var echoed = await EchoWithHalfCloseAsync(socket, data, deadline.Token);
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"client {i}: {echoed.Length} bytes differ from the {data.Length} sent");
        }));
    }

    [Fact]
    public async Task A_half_closed_100_MB_transfer_comes_back_whole_and_in_order()
    {
        var (_, endpoint) = await StartListenerAsync();
        using var deadline = Deadline(60);
        using var socket = await ConnectAsync(endpoint, deadline.Token);
        const long total = 100L * 1000 * 1000;
        // A pattern of odd length sent over and over: a dropped, repeated or reordered chunk shifts the bytes
        // against it, so checking by position finds any of them without holding 100 MB twice.
        var pattern = RandomBytes(1024 * 1024 + 7, seed: 100_000);

        var sending = Task.Run(async () =>
        {
            for (long position = 0; position < total;)
            {
                var offset = (int)(position % pattern.Length);
                var length = (int)Math.Min(pattern.Length - offset, total - position);
                await SendAllAsync(socket, pattern.AsMemory(offset, length), deadline.Token);
                position += length;
            }
            socket.Shutdown(SocketShutdown.Send);
        });

        var buffer = new byte[256 * 1024];
        long received = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
        {
            for (var i = 0; i < read; i++)
                if (buffer[i] != pattern[(received + i) % pattern.Length])
                    Assert.Fail($"the echo differs from what was sent at byte {received + i}");
            received += read;
        }
        await sending;
        Assert.Equal(total, received);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_pushed_back_and_later_gets_every_byte()
    {
        var (listener, endpoint) = await StartListenerAsync(SmallSocketBuffers);
        using var deadline = Deadline(30);
        using var socket = await ConnectAsync(endpoint, deadline.Token, bufferSize: SocketBufferSize);
        var data = RandomBytes(8 * 1024 * 1024, seed: 7);

        var sent = new StrongBox<long>();
        var sending = SendAllAsync(socket, data, deadline.Token, sent);
        var stalledAt = await WaitForSendToStallAsync(sending, sent, deadline.Token);
        Output?.WriteLine($"the send stalled after {stalledAt} of {data.Length} bytes");

        // If the server kept reading without bound, all 8 MB would have been accepted. What the kernel buffers
        // hold plus the high watermark and a frame is a few hundred KiB here; 2 MB leaves a wide margin.
        Assert.False(sending.IsCompleted, "the client sent everything although it read nothing");
        Assert.True(stalledAt < 2 * 1024 * 1024, $"the server accepted {stalledAt} bytes from a client that read nothing");
        var stats = await listener.Ask<EchoListener.ListenerStats>(EchoListener.GetStats.Instance, AskTimeout);
        Assert.Equal(1, stats.Active);

        // Reading again releases the backpressure: the rest is sent and every byte comes back in order.
        var reading = ReadExactlyAsync(socket, data.Length, deadline.Token);
        await sending;
        var echoed = await reading;
        Assert.True(data.AsSpan().SequenceEqual(echoed), "the echo differs from what was sent");
        socket.Shutdown(SocketShutdown.Send);
        Assert.Empty(await ReadToEndAsync(socket, deadline.Token));
    }

    [Fact]
    public async Task A_client_that_resets_mid_stream_does_not_disturb_the_others()
    {
        var (listener, endpoint) = await StartListenerAsync();
        using var deadline = Deadline(30);

        var wellBehaved = Enumerable.Range(1, 3).Select(async i =>
        {
            using var socket = await ConnectAsync(endpoint, deadline.Token);
            var data = RandomBytes(1024 * 1024, seed: 200 + i);
            var echoed = await EchoWithHalfCloseAsync(socket, data, deadline.Token);
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"client {i}: {echoed.Length} bytes differ from the {data.Length} sent");
        }).ToList();

        using (var resetting = await ConnectAsync(endpoint, deadline.Token))
        {
            // Send a good deal and read only a little of the echo, so that the reset lands with echo bytes in
            // flight on the server's side.
            var firstEcho = ReadExactlyAsync(resetting, 1000, deadline.Token);
            await SendAllAsync(resetting, RandomBytes(512 * 1024, seed: 200), deadline.Token);
            await firstEcho;
            resetting.LingerState = new LingerOption(true, 0);
            resetting.Close(); // linger 0: RST instead of FIN
        }

        await Task.WhenAll(wellBehaved);
        await AwaitAssertAsync(async () =>
        {
            var stats = await listener.Ask<EchoListener.ListenerStats>(EchoListener.GetStats.Instance, AskTimeout);
            Assert.Equal(new EchoListener.ListenerStats(Active: 0, Accepted: 4, Rejected: 0, Closed: 4), stats);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Clients_over_max_connections_get_eof_at_once_and_a_freed_slot_is_reused()
    {
        var (listener, endpoint) = await StartListenerAsync(BaseSettings with { MaxConnections = 2 });
        using var deadline = Deadline(20);
        using var first = await ConnectAsync(endpoint, deadline.Token);
        using var second = await ConnectAsync(endpoint, deadline.Token);
        // Round trips prove both are served before the third arrives.
        await AssertRoundTripAsync(first, seed: 1, deadline.Token);
        await AssertRoundTripAsync(second, seed: 2, deadline.Token);

        using (var third = await ConnectAsync(endpoint, deadline.Token))
        {
            Assert.Empty(await ReadToEndAsync(third, deadline.Token));
        }

        await AssertRoundTripAsync(first, seed: 3, deadline.Token);
        await AssertRoundTripAsync(second, seed: 4, deadline.Token);
        var stats = await listener.Ask<EchoListener.ListenerStats>(EchoListener.GetStats.Instance, AskTimeout);
        Assert.Equal(new EchoListener.ListenerStats(Active: 2, Accepted: 2, Rejected: 1, Closed: 0), stats);

        first.Shutdown(SocketShutdown.Send);
        Assert.Empty(await ReadToEndAsync(first, deadline.Token));
        await AwaitAssertAsync(async () =>
        {
            var afterLeave = await listener.Ask<EchoListener.ListenerStats>(EchoListener.GetStats.Instance, AskTimeout);
            Assert.Equal(1, afterLeave.Active);
        }, TimeSpan.FromSeconds(5));

        using var fourth = await ConnectAsync(endpoint, deadline.Token);
        await AssertRoundTripAsync(fourth, seed: 5, deadline.Token);
        stats = await listener.Ask<EchoListener.ListenerStats>(EchoListener.GetStats.Instance, AskTimeout);
        Assert.Equal(new EchoListener.ListenerStats(Active: 2, Accepted: 3, Rejected: 1, Closed: 1), stats);
    }

    [Fact]
    public async Task An_idle_client_is_closed_after_the_idle_timeout_while_a_busy_one_survives()
    {
        // A generous timeout against a client pacing itself ten times faster: on a loaded two-core machine a
        // client's 100 ms pause has been seen to last several hundred ms, which must not count as idleness.
        var idleTimeout = TimeSpan.FromSeconds(1);
        var (_, endpoint) = await StartListenerAsync(BaseSettings with { IdleTimeout = idleTimeout });
        using var deadline = Deadline(20);

        var idle = Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            using var socket = await ConnectAsync(endpoint, deadline.Token);
            Assert.Empty(await ReadToEndAsync(socket, deadline.Token));
            return clock.Elapsed;
        });

        // The busy client lives for two idle periods but is never quiet for one. The delay paces the client;
        // it synchronises nothing.
        using var busy = await ConnectAsync(endpoint, deadline.Token);
        var busyFor = Stopwatch.StartNew();
        for (var seed = 0; busyFor.Elapsed < 2 * idleTimeout; seed++)
        {
            await AssertRoundTripAsync(busy, seed, deadline.Token, length: 100);
            await Task.Delay(idleTimeout / 10, deadline.Token);
        }
        var last = RandomBytes(100, seed: 99);
        Assert.Equal(last, await EchoWithHalfCloseAsync(busy, last, deadline.Token));

        var idleFor = await idle;
        Assert.True(idleFor >= idleTimeout - TimeSpan.FromMilliseconds(50), $"the idle client was closed after only {idleFor}");
    }

    [Fact]
    public async Task Drain_echoes_what_was_received_closes_every_client_with_fin_and_then_reports_done()
    {
        var (listener, endpoint) = await StartListenerAsync(SmallSocketBuffers);
        using var deadline = Deadline(30);

        // Two quiet clients whose echo is complete, and one whose echo is held up when the drain starts: it
        // sends without reading until backpressure stops it, so the server is paused with writes unacked.
        using var quiet1 = await ConnectAsync(endpoint, deadline.Token);
        using var quiet2 = await ConnectAsync(endpoint, deadline.Token);
        using var streaming = await ConnectAsync(endpoint, deadline.Token, bufferSize: SocketBufferSize);
        await AssertRoundTripAsync(quiet1, seed: 1, deadline.Token);
        await AssertRoundTripAsync(quiet2, seed: 2, deadline.Token);
        await AssertRoundTripAsync(streaming, seed: 3, deadline.Token);
        var stream = RandomBytes(4 * 1024 * 1024, seed: 4);
        var sent = new StrongBox<long>();
        var streamSending = SendAllAsync(streaming, stream, deadline.Token, sent);
        await WaitForSendToStallAsync(streamSending, sent, deadline.Token);
        Assert.False(streamSending.IsCompleted, "the streaming client was never held up");

        Assert.Equal(Done.Instance, await listener.Ask<Done>(EchoListener.StopAccepting.Instance, AskTimeout));

        // A client arriving now is not served: it is turned away, or left in the backlog unanswered.
        using (var late = await ConnectAsync(endpoint, deadline.Token))
        {
            await late.SendAsync(new byte[] { 42 }, SocketFlags.None, deadline.Token);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            wait.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                Assert.Empty(await ReadToEndAsync(late, wait.Token));
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // Never accepted: equally unserved.
            }
        }

        var drained = listener.Ask<Done>(EchoListener.DrainConnections.Instance, TimeSpan.FromSeconds(10));

        // Each client sees a FIN (no reset) after its echo; the quiet ones had all theirs already, the
        // streaming one gets what the server had read, in order, once it reads again.
        Assert.Empty(await ReadToEndAsync(quiet1, deadline.Token));
        Assert.Empty(await ReadToEndAsync(quiet2, deadline.Token));
        var streamed = await ReadToEndAsync(streaming, deadline.Token);
        Output?.WriteLine($"{streamed.Length} of {stream.Length} streamed bytes were echoed before the FIN");
        Assert.NotEmpty(streamed);
        Assert.True(stream.AsSpan().StartsWith(streamed),
            $"the {streamed.Length} bytes echoed during the drain are not a prefix of what was sent");
        await streamSending; // what the server no longer echoes it still reads, so the send completes

        // The server half-closed; the clients' own close completes the drain.
        quiet1.Close();
        quiet2.Close();
        streaming.Close();
        Assert.Equal(Done.Instance, await drained);
        var stats = await listener.Ask<EchoListener.ListenerStats>(EchoListener.GetStats.Instance, AskTimeout);
        Assert.Equal(0, stats.Active);
        Assert.Equal(3, stats.Accepted);

        // Done means the listening socket is released too: the port is free for a new server.
        using var successor = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        successor.Bind(endpoint);
    }

    [IPv6LoopbackFact]
    public async Task Serves_clients_on_the_ipv6_loopback()
    {
        var (_, endpoint) = await StartListenerAsync(address: IPAddress.IPv6Loopback);
        Assert.Equal(AddressFamily.InterNetworkV6, endpoint.AddressFamily);
        using var deadline = Deadline(20);

        await Task.WhenAll(Enumerable.Range(1, 5).Select(async i =>
        {
            using var socket = await ConnectAsync(endpoint, deadline.Token);
            var data = RandomBytes(64 * 1024, seed: 300 + i);
            var echoed = await EchoWithHalfCloseAsync(socket, data, deadline.Token);
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"client {i}: {echoed.Length} bytes differ from the {data.Length} sent");
        }));
    }

    [IPv6LoopbackFact]
    public async Task The_ipv6_wildcard_serves_ipv4_and_ipv6_clients_alike()
    {
        var (_, bound) = await StartListenerAsync(address: IPAddress.IPv6Any);
        using var deadline = Deadline(20);

        foreach (var (client, seed) in new[] { (IPAddress.Loopback, 320), (IPAddress.IPv6Loopback, 321) })
        {
            using var socket = await ConnectAsync(new IPEndPoint(client, bound.Port), deadline.Token);
            var data = RandomBytes(16 * 1024, seed);
            var echoed = await EchoWithHalfCloseAsync(socket, data, deadline.Token);
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"{client}: the echo differs from what was sent");
        }
    }

    [Fact]
    public async Task Losing_the_listening_socket_shuts_the_server_down_with_its_reason()
    {
        var (_, endpoint) = await StartListenerAsync();
        using var deadline = Deadline(20);
        using var client = await ConnectAsync(endpoint, deadline.Token);
        await AssertRoundTripAsync(client, seed: 40, deadline.Token);

        // Stand in for a fatal accept error, which makes Akka.IO's listener actor stop itself.
        var akkaListener = await Sys.ActorSelection("/system/IO-TCP/*").ResolveOne(AskTimeout);
        akkaListener.Tell(PoisonPill.Instance);

        await Sys.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(15));
        var reason = Assert.IsType<EchoListener.ListeningSocketLost>(CoordinatedShutdown.Get(Sys).ShutdownReason);
        Assert.Contains(endpoint.Port.ToString(), reason.Message);
    }

    [Fact]
    public async Task A_second_listener_on_a_port_in_use_reports_bind_failed_with_a_one_line_reason()
    {
        var (_, endpoint) = await StartListenerAsync();

        var second = Sys.ActorOf(EchoListener.Props(BaseSettings, endpoint));
        var failed = Assert.IsType<EchoListener.BindFailed>(
            await second.Ask<object>(EchoListener.GetBindResult.Instance, AskTimeout));
        Assert.Contains(endpoint.Port.ToString(), failed.Reason);
        Assert.DoesNotContain('\n', failed.Reason);
        Assert.DoesNotContain('\r', failed.Reason);

        // Asked again after the outcome is known, the listener still answers.
        Assert.Equal(failed, await second.Ask<object>(EchoListener.GetBindResult.Instance, AskTimeout));

        // The first listener is unaffected.
        using var deadline = Deadline(10);
        using var socket = await ConnectAsync(endpoint, deadline.Token);
        await AssertRoundTripAsync(socket, seed: 1, deadline.Token);
    }

    [Fact]
    public async Task Get_bind_result_is_answered_again_after_a_successful_bind()
    {
        var (listener, endpoint) = await StartListenerAsync();
        var again = Assert.IsType<EchoListener.BindSucceeded>(
            await listener.Ask<object>(EchoListener.GetBindResult.Instance, AskTimeout));
        Assert.Equal(endpoint, again.LocalAddress);
    }

    private async Task<(IActorRef Listener, IPEndPoint Endpoint)> StartListenerAsync(
        EchoSettings? settings = null, IPAddress? address = null)
    {
        var listener = Sys.ActorOf(EchoListener.Props(settings ?? BaseSettings, new IPEndPoint(address ?? IPAddress.Loopback, 0)));
        var result = await listener.Ask<object>(EchoListener.GetBindResult.Instance, AskTimeout);
        var bound = Assert.IsType<EchoListener.BindSucceeded>(result);
        var endpoint = Assert.IsType<IPEndPoint>(bound.LocalAddress);
        Assert.NotEqual(0, endpoint.Port);
        return (listener, endpoint);
    }

    private static async Task AssertRoundTripAsync(Socket socket, int seed, CancellationToken cancellationToken, int length = 1000)
    {
        var data = RandomBytes(length, seed);
        Assert.Equal(data, await RoundTripAsync(socket, data, cancellationToken));
    }

    /// <summary>Waits until <paramref name="sending"/> makes no progress for half a second (or ends) and
    /// returns how many bytes it had sent by then. The half-second windows are the measurement itself.</summary>
    private static async Task<long> WaitForSendToStallAsync(Task sending, StrongBox<long> sent, CancellationToken cancellationToken)
    {
        while (true)
        {
            var before = Interlocked.Read(ref sent.Value);
            await Task.WhenAny(sending, Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
            var after = Interlocked.Read(ref sent.Value);
            if (sending.IsCompleted || after == before)
                return after;
        }
    }
}

/// <summary>A fact that is skipped, with the reason shown, where the IPv6 loopback cannot be bound.</summary>
public sealed class IPv6LoopbackFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public IPv6LoopbackFactAttribute()
    {
        if (Unavailable.Value is { } reason)
            Skip = reason;
    }

    private static string? Probe()
    {
        if (!Socket.OSSupportsIPv6)
            return "the OS does not support IPv6";
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return null;
        }
        catch (SocketException e)
        {
            return $"cannot bind [::1]: {e.Message}";
        }
    }
}

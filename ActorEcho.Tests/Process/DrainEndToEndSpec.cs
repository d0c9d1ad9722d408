using System.Net;
using System.Net.Sockets;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Process;

/// <summary>
/// The drain on the built host, signalled as an operator or an orchestrator does it: transfers in progress
/// finish, and a client that arrives while the listening socket is still open is served. (Idle clients and the
/// drain timeout: <see cref="ServeEndToEndSpec"/>.)
/// </summary>
public sealed class DrainEndToEndSpec(ITestOutputHelper output)
{
    private const int SigTerm = 15;
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private const int Clients = 10;
    private const int TransferBytes = 4 * 1024 * 1024;
    private const int ChunkBytes = 64 * 1024;
    /// <summary>Pause between a client's chunks: spreads each transfer over a second or more so that the signal
    /// lands mid-way on a busy machine too, and stays far below drain-quiet (500ms), as a streaming client's
    /// gaps do.</summary>
    private static readonly TimeSpan ChunkPause = TimeSpan.FromMilliseconds(15);

    [Fact]
    public async Task Sigterm_while_ten_clients_are_mid_way_through_half_closed_transfers_gives_each_its_whole_transfer_and_exits_0()
    {
        // drain-quiet with a margin over its default (500ms) against stalls of this test process on a loaded
        // machine: the clients' gaps are 15ms either way.
        var config = Path.Combine(Path.GetTempPath(), $"actor-echo-test-{Guid.NewGuid():N}.hocon");
        await File.WriteAllTextAsync(config, "actor-echo.drain-quiet = 2s");
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", config);
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));
        var ct = Deadline.After(TimeSpan.FromSeconds(60));

        var halfWay = Enumerable.Range(0, Clients)
            .Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var sending = Enumerable.Repeat(true, Clients).ToArray();
        // All connected first, so that the transfers start together.
        var clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => LoopbackClient.ConnectAsync(endpoint, ct)));
        var transfers = Enumerable.Range(0, Clients)
            .Select(i => TransferAsync(clients[i], i, halfWay[i], ct)).ToArray();

        // Every client has sent at least a quarter of its transfer.
        await Task.WhenAll(halfWay.Select(h => h.Task)).WaitAsync(ct);
        host.Signal(SigTerm);
        // The drain has begun (as the test sees the log, so a little later than it did): most transfers are still
        // under way. (On a loaded machine the log can lag; all of them were under way at the signal.)
        await host.WaitForLineAsync("Draining", TimeSpan.FromSeconds(20));
        var underWay = sending.Count(s => s);
        output.WriteLine($"{underWay} of {Clients} clients still sending when the drain was seen to begin");
        Assert.True(underWay >= Clients / 2, $"only {underWay} clients were still sending when the drain began");

        var echoed = await Task.WhenAll(transfers);
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
        Assert.All(echoed, length => Assert.Equal(TransferBytes, length));
        Assert.DoesNotContain("Drain timeout", host.StandardError);

        // One transfer: paced sends while reading; half-close; read to EOF, checking every byte.
        async Task<long> TransferAsync(LoopbackClient client, int index, TaskCompletionSource quarter, CancellationToken token)
        {
            using var _ = client;
            await Task.Yield();
            var data = LoopbackClient.RandomBytes(TransferBytes, seed: 500 + index);
            var reading = client.ReceiveToEndAsync(token);
            for (var offset = 0; offset < data.Length; offset += ChunkBytes)
            {
                if (offset >= data.Length / 4)
                    quarter.TrySetResult();
                await client.SendAsync(data.AsMemory(offset, ChunkBytes), token);
                await Task.Delay(ChunkPause, token);
            }
            Volatile.Write(ref sending[index], false);
            client.ShutdownSend();
            var echoed = await reading;
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"client {index}: {echoed.Length} bytes came back, not the {data.Length} sent");
            return echoed.Length;
        }
    }

    [Fact]
    public async Task A_client_that_connects_during_the_drain_is_echoed()
    {
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0");
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));
        var ct = Deadline.After(TimeSpan.FromSeconds(60));

        // A client in the middle of a stream keeps the drain open (it is not quiet) until it stops.
        using var streaming = await LoopbackClient.ConnectAsync(endpoint, ct);
        using var stopStreaming = new CancellationTokenSource();
        var streamed = LoopbackClient.RandomBytes(ChunkBytes, seed: 600);
        var streamSending = Task.Run(async () =>
        {
            long sent = 0;
            // Stopped between chunks, never mid-send, so that the count is exact.
            while (!stopStreaming.IsCancellationRequested)
            {
                await streaming.SendAsync(streamed, ct);
                sent += streamed.Length;
                await Task.Delay(ChunkPause, ct);
            }
            return sent;
        }, CancellationToken.None);
        Assert.Equal(streamed, await streaming.ReceiveExactlyAsync(streamed.Length, ct));
        var streamReading = streaming.ReceiveToEndAsync(ct);

        host.Signal(SigTerm);
        await host.WaitForLineAsync("Draining", TimeSpan.FromSeconds(10));

        // Arriving now, with the listening socket still open: a whole half-closed exchange, echoed.
        using (var late = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            var data = LoopbackClient.RandomBytes(512 * 1024, seed: 601);
            Assert.Equal(data, await late.EchoWithHalfCloseAsync(data, ct));
        }

        // The streaming client stops; it goes quiet and gets the rest of its echo, then the FIN.
        await stopStreaming.CancelAsync();
        var sentTotal = await streamSending;
        var rest = await streamReading;
        Assert.Equal(sentTotal - streamed.Length, rest.Length);
        for (var offset = 0; offset < rest.Length; offset += streamed.Length)
            Assert.True(streamed.AsSpan().SequenceEqual(rest.AsSpan(offset, streamed.Length)), $"the echo differs at {offset}");
        streaming.Socket.Close(); // answers the server's FIN
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
        Assert.DoesNotContain("Refused connections:", host.StandardError);
    }
}

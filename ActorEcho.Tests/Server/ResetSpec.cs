using System.Net.Sockets;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>A client resets its connection while the server is in the middle of echoing a large write to it.</summary>
public sealed class ResetSpec(ITestOutputHelper output) : ServerKit(output)
{
    private const int GoodClients = 4;

    [Fact]
    public async Task A_reset_in_the_middle_of_a_large_write_ends_that_connection_only()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(40));
        // A small SO_SNDBUF on the server keeps its echo to the resetting client queued in Akka.IO, not in the
        // kernel: the reset then lands on writes still in flight.
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { IdleTimeout = null, SocketSendBufferSize = 32 * 1024 }));

        using var resetter = await LoopbackClient.ConnectAsync(endpoint, ct, receiveBufferSize: 8 * 1024);
        Assert.Equal("x"u8.ToArray(), await resetter.EchoAsync("x"u8.ToArray(), ct));
        var resetterActor = await WatchConnectionActorAsync(listener, 1);

        var resetDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var goodClients = Enumerable.Range(1, GoodClients)
            .Select(i => Task.Run(() => EchoUntilAfterAsync(endpoint, i, resetDone.Task, ct), ct))
            .ToArray();

        // The resetter sends without reading; once 256 KiB are out the server is well into echoing them (more than
        // its high watermark plus its small send buffer), and the reset hits that.
        var wellUnderway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flood = Task.Run(async () =>
        {
            var chunk = LoopbackClient.RandomBytes(16 * 1024, seed: 99);
            long sent = 0;
            try
            {
                for (var i = 0; i < 1024; i++)
                {
                    await resetter.SendAsync(chunk, ct);
                    if ((sent += chunk.Length) >= 256 * 1024)
                        wellUnderway.TrySetResult();
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The socket was reset under this send: expected.
            }
            wellUnderway.TrySetResult();
        }, ct);

        await wellUnderway.Task.WaitAsync(ct);
        resetter.Reset();
        await flood.WaitAsync(ct);
        await ExpectTerminatedAsync(resetterActor, Patience);
        resetDone.SetResult();

        var rounds = await Task.WhenAll(goodClients);
        Assert.All(rounds, r => Assert.True(r > 0));
        await AwaitStatsAsync(listener, stats =>
            Assert.Equal(new(Active: 0, Accepted: GoodClients + 1, Rejected: 0, Closed: GoodClients + 1), stats));
    }

    /// <summary>Echoes random 32 KiB blocks, checking each, until <paramref name="until"/> completes and 20 more
    /// rounds have passed; then closes with FIN and expects the server's FIN. Returns the number of rounds.</summary>
    private static async Task<int> EchoUntilAfterAsync(System.Net.IPEndPoint endpoint, int seed, Task until, CancellationToken ct)
    {
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var random = new Random(seed);
        var block = new byte[32 * 1024];
        var rounds = 0;
        var roundsAfter = 0;
        while (!until.IsCompleted || roundsAfter++ < 20)
        {
            random.NextBytes(block);
            var echo = await client.EchoAsync(block, ct);
            Assert.True(block.AsSpan().SequenceEqual(echo), $"client {seed}: echo differs in round {rounds}");
            rounds++;
        }
        client.ShutdownSend();
        Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
        return rounds;
    }
}

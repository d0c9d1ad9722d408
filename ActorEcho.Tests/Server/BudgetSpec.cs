using System.Diagnostics;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>
/// <c>max-buffered-bytes</c> on real sockets: a flood of clients that never read holds the server's budget, and a
/// client doing ping-pong throughout is still served; once the flood reads, every byte comes back.
/// </summary>
public sealed class BudgetSpec(ITestOutputHelper output) : ServerKit(output)
{
    private const int Budget = 4 * 1024 * 1024;
    private const int Flooders = 200;
    /// <summary>More than the kernel's fixed buffers on both ends can hold (a few hundred KiB), so that the server
    /// itself must hold or refuse the rest.</summary>
    private const int FloodBytesEach = 1024 * 1024;

    [Fact]
    public async Task A_flood_of_clients_that_never_read_holds_the_budget_while_a_ping_pong_client_is_served()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(90));
        var settings = BackpressureSettings() with { MaxBufferedBytes = Budget };
        var (listener, endpoint) = await StartListenerAsync(settings);
        var budget = BudgetOf(listener);
        using var pingPong = await LoopbackClient.ConnectAsync(endpoint, ct);
        var flood = await Task.WhenAll(Enumerable.Range(0, Flooders).Select(_ =>
            LoopbackClient.ConnectAsync(endpoint, ct, FixedSocketBuffer, FixedSocketBuffer)));
        try
        {
            var data = Enumerable.Range(0, Flooders).Select(i => LoopbackClient.RandomBytes(FloodBytesEach, seed: i)).ToArray();
            var sending = flood.Select((client, i) => client.SendAsync(data[i], ct)).ToArray();

            // Ping-pong until the flood holds the budget and for a while after: every echo exact and prompt.
            var slowest = TimeSpan.Zero;
            var heldMost = 0L;
            var sawPaused = false;
            for (var round = 0; round < 2000 && !(sawPaused && round >= 200); round++)
            {
                var started = Stopwatch.GetTimestamp();
                await pingPong.AssertEchoesAsync(seed: round, ct, length: 64);
                var took = Stopwatch.GetElapsedTime(started);
                slowest = took > slowest ? took : slowest;
                if (round % 20 != 0)
                    continue;
                heldMost = Math.Max(heldMost, budget.HeldBytes);
                sawPaused |= budget.PausedConnections > 0;
            }
            Output?.WriteLine($"slowest ping-pong echo {slowest.TotalMilliseconds:F1} ms; most held {heldMost} bytes");
            Assert.True(sawPaused, "the flood never held the budget: the spec tests nothing");
            Assert.True(slowest < TimeSpan.FromSeconds(2), $"a ping-pong echo took {slowest} during the flood");
            // The bound: the budget plus the one frame each connection may always read.
            var frame = Sys.Settings.Config.GetByteSize("akka.io.tcp.maximum-frame-size") ?? 0;
            Assert.InRange(heldMost, 0, Budget + (Flooders + 1) * frame);

            // The flood reads now: every byte comes back, in order, and the budget empties.
            var echoes = await Task.WhenAll(flood.Select(client => client.ReceiveExactlyAsync(FloodBytesEach, ct)));
            await Task.WhenAll(sending);
            for (var i = 0; i < Flooders; i++)
                Assert.True(data[i].AsSpan().SequenceEqual(echoes[i]), $"flood client {i} got a different echo");
            await pingPong.AssertEchoesAsync(seed: -1, ct, length: 64);
            await AwaitAssertAsync(() =>
            {
                Assert.Equal(0, budget.HeldBytes);
                Assert.Equal(0, budget.PausedConnections);
            }, Patience, TimeSpan.FromMilliseconds(20));
        }
        finally
        {
            foreach (var client in flood)
                client.Dispose();
        }
    }
}

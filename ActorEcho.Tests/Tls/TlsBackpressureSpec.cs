using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>TLS clients that stop reading: the server holds at most the budget (plus a frame each) of ciphertext,
/// never what they send; once they read, every byte comes back.</summary>
public sealed class TlsBackpressureSpec(ITestOutputHelper output) : TlsKit(output)
{
    private const int Budget = 1024 * 1024;
    private const int Clients = 20;
    private const int BytesEach = 2 * 1024 * 1024;

    [Fact]
    public async Task Clients_that_stop_reading_hold_the_server_to_its_budget_then_get_every_byte()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(90));
        var settings = BackpressureSettings() with { MaxBufferedBytes = Budget };
        var (listener, endpoint) = await StartTlsListenerAsync(settings);
        var budget = BudgetOf(listener);
        var clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ =>
            TlsClient.ConnectAsync(endpoint, ct, socketBufferSize: FixedSocketBuffer)));
        try
        {
            var data = Enumerable.Range(0, Clients).Select(i => LoopbackClient.RandomBytes(BytesEach, seed: i)).ToArray();
            var sending = clients.Select((client, i) => client.SendAsync(data[i], ct)).ToArray();

            // While nobody reads: sample what the server holds until the sends stall (no progress for a while).
            var heldMost = 0L;
            var sawPaused = false;
            for (var sample = 0; sample < 40; sample++)
            {
                await Task.Delay(50, ct);
                heldMost = Math.Max(heldMost, budget.HeldBytes);
                sawPaused |= budget.PausedConnections > 0;
            }
            Output?.WriteLine($"most held {heldMost} bytes; paused by budget seen: {sawPaused}");
            Assert.False(sending.All(s => s.IsCompleted), "every send completed without reading: nothing was held back");
            var frame = Sys.Settings.Config.GetByteSize("akka.io.tcp.maximum-frame-size") ?? 0;
            // The bound: the budget, plus what each connection may hold while the budget has room (its high
            // watermark) or always (one TLS record and a frame).
            Assert.InRange(heldMost, 0, Budget + Clients * (settings.WriteHighWatermark + 2 * frame));
            Assert.True(sawPaused || heldMost < Budget, "neither held by the budget nor under it");

            var echoes = await Task.WhenAll(clients.Select(client => client.ReceiveExactlyAsync(BytesEach, ct)));
            await Task.WhenAll(sending);
            for (var i = 0; i < Clients; i++)
                Assert.True(data[i].AsSpan().SequenceEqual(echoes[i]), $"client {i} got a different echo");
            await AwaitAssertAsync(() => Assert.Equal(0, budget.HeldBytes), Patience, TimeSpan.FromMilliseconds(20));
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync();
        }
    }
}

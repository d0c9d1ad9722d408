using System.Diagnostics;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>The idle timeout against clients that vanish and clients that trickle (slowloris).</summary>
public sealed class IdleSpec(ITestOutputHelper output) : ServerKit(output)
{
    [Fact]
    public async Task A_client_that_goes_silent_without_FIN_is_reclaimed_by_the_idle_timeout()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
        var idleTimeout = TimeSpan.FromSeconds(1);
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { IdleTimeout = idleTimeout }));

        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        // Before the last exchange (docs/code-notes.md, "Specs against the clock").
        var silentSince = Stopwatch.StartNew();
        Assert.Equal("still here"u8.ToArray(), await client.EchoAsync("still here"u8.ToArray(), ct));
        var actor = await WatchConnectionActorAsync(listener, 1);

        // The client neither sends nor closes (as if its host had gone): only the idle timeout can end this.
        Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
        Assert.True(silentSince.Elapsed >= idleTimeout * 0.9, $"closed after {silentSince.Elapsed}, before the idle timeout");
        await ExpectTerminatedAsync(actor, Patience);
        await AwaitStatsAsync(listener, stats => Assert.Equal(0, stats.Active));
    }

    [Fact]
    public async Task A_trickling_client_is_served_exactly_and_does_not_hold_up_others()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var idleTimeout = TimeSpan.FromSeconds(1);
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { IdleTimeout = idleTimeout }));

        using var slow = await LoopbackClient.ConnectAsync(endpoint, ct);
        var slowData = LoopbackClient.RandomBytes(25, seed: 5);
        // One byte every ~100 ms for 2.5 s, two and a half idle timeouts: never idle, never fast.
        var trickle = Task.Run(async () =>
        {
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            var echoed = new byte[slowData.Length];
            for (var i = 0; i < slowData.Length; i++)
            {
                await pace.WaitForNextTickAsync(ct);
                await slow.SendAsync(slowData.AsMemory(i, 1), ct);
                echoed[i] = (await slow.ReceiveExactlyAsync(1, ct))[0];
            }
            return echoed;
        }, ct);

        var fast = Enumerable.Range(1, 3).Select(seed => Task.Run(async () =>
        {
            using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
            for (var round = 0; round < 32; round++)
            {
                var data = LoopbackClient.RandomBytes(64 * 1024, seed * 1000 + round);
                Assert.Equal(data, await client.EchoAsync(data, ct));
            }
            client.ShutdownSend();
            Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
        }, ct)).ToArray();

        await Task.WhenAll(fast);
        Assert.False(trickle.IsCompleted, "the fast clients should finish while the slow one is still trickling");
        Assert.Equal(slowData, await trickle);

        // Once it stops trickling it is idle like any other and is closed.
        Assert.Equal((ConnectionEnd.Eof, 0L), await slow.ReadToEndAsync(ct));
        await AwaitStatsAsync(listener, stats =>
        {
            Assert.Equal(0, stats.Active);
            Assert.Equal(4, stats.Accepted);
        });
    }
}

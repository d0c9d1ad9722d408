using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>Thousands of short connections leave nothing behind: no connection actor, no socket. (The long
/// version is <c>bench/soak.sh</c>.)</summary>
[Collection(IsolatedCollection.Name)]
public sealed class ChurnSpec(ITestOutputHelper output) : ServerKit(output)
{
    private const int WarmUpCycles = 100;
    private const int Cycles = 2_000;
    private const int Concurrency = 8;

    /// <summary>Descriptors the runtime may open or close on its own meanwhile (thread pool, epoll, timers).</summary>
    private const int FdTolerance = 16;

    [Fact]
    public async Task Two_thousand_connect_echo_close_cycles_leak_no_actors_and_no_sockets()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(45));
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { IdleTimeout = TimeSpan.FromSeconds(30) }));

        // Warm up first, so that the baseline counts the runtime's own descriptors (sockets engine, thread pool).
        var warmUp = await ChurnDriver.RunAsync(endpoint, WarmUpCycles, Concurrency, 64, ct);
        Assert.Equal(0, warmUp.Failures);
        await AwaitStatsAsync(listener, stats => Assert.Equal(0, stats.Active));
        var fdsBefore = ChurnDriver.OpenFileDescriptors();

        var result = await ChurnDriver.RunAsync(endpoint, Cycles, Concurrency, 64, ct);
        Output?.WriteLine($"{result.Cycles} cycles in {result.Elapsed.TotalSeconds:F2} s ({result.CyclesPerSecond:F0}/s)");

        Assert.True(result.Failures == 0, $"{result.Failures} failed cycles, first: {result.FirstFailure}");
        Assert.Equal(Cycles, result.Cycles);
        await AwaitStatsAsync(listener, stats =>
            Assert.Equal(new(0, WarmUpCycles + Cycles, 0, WarmUpCycles + Cycles), stats));

        if (fdsBefore is { } before)
        {
            // Akka.IO disposes a socket as its connection actor stops, which may trail the listener's count by a moment.
            await AwaitAssertAsync(() =>
            {
                var after = ChurnDriver.OpenFileDescriptors()!.Value;
                Output?.WriteLine($"open descriptors: {before} before, {after} after");
                Assert.True(after <= before + FdTolerance, $"open descriptors: {before} before, {after} after {Cycles} cycles");
            }, Patience, TimeSpan.FromMilliseconds(50));
        }
    }
}

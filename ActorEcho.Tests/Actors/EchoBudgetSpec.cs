using ActorEcho.TcpEcho;

namespace ActorEcho.Tests.Actors;

/// <summary>The server-wide budget's rule (<see cref="EchoBudget"/>), through the windows that draw on it, without
/// actors: pausing, resuming, fairness, no starvation.</summary>
public sealed class EchoBudgetSpec
{
    private const int High = 100;
    private const int Low = 40;

    private static EchoWindow Window(EchoBudget budget) => new(High, Low, budget);

    [Fact]
    public void Counts_every_window_s_unacked_bytes()
    {
        var budget = new EchoBudget(1000);
        var a = Window(budget);
        var b = Window(budget);
        a.Written(30);
        b.Written(20);
        b.Written(5);
        Assert.Equal(55, budget.HeldBytes);
        a.Acked();
        b.Acked();
        Assert.Equal(5, budget.HeldBytes);
    }

    [Fact]
    public void A_window_that_holds_bytes_pauses_once_the_budget_is_exhausted_and_resumes_below_it()
    {
        var budget = new EchoBudget(50);
        var flooder = Window(budget);
        var other = Window(budget);
        flooder.Written(30);
        Assert.Equal(ReadGate.Open, flooder.NextRead());
        other.Written(25); // 55: over the limit, although neither window is at its own watermark
        Assert.True(budget.IsExhausted);

        Assert.Equal(ReadGate.PausedByBudget, flooder.NextRead());
        Assert.True(flooder.IsPausedByBudget);
        Assert.False(flooder.IsPaused);
        Assert.Equal(ReadGate.StillPaused, flooder.NextRead());
        Assert.Equal(1, budget.PausedConnections);

        other.Acked(); // 30: under the limit again
        Assert.Equal(ReadGate.Resumed, flooder.NextRead());
        Assert.Equal(0, budget.PausedConnections);
        Assert.Equal(ReadGate.Open, flooder.NextRead());
    }

    [Fact]
    public void A_window_that_holds_nothing_may_always_read_so_a_reading_client_is_never_starved()
    {
        var budget = new EchoBudget(100);
        // A flood holds the whole budget and reads no more.
        var flood = Enumerable.Range(0, 10).Select(_ => Window(budget)).ToList();
        foreach (var window in flood)
            window.Written(20);
        Assert.All(flood, window => Assert.Equal(ReadGate.PausedByBudget, window.NextRead()));
        Assert.Equal(flood.Count, budget.PausedConnections);

        // A ping-pong client: each echo is acknowledged before its next message, so it reads every time.
        var pingPong = Window(budget);
        for (var round = 0; round < 100; round++)
        {
            Assert.Equal(ReadGate.Open, pingPong.NextRead());
            pingPong.Written(64);
            Assert.Equal(64, pingPong.Acked());
        }
    }

    [Fact]
    public void A_streaming_client_slows_to_one_frame_at_a_time_but_goes_on()
    {
        var budget = new EchoBudget(100);
        var flood = Window(budget);
        flood.Written(99);
        flood.Written(1);
        var stream = Window(budget);

        for (var frame = 0; frame < 10; frame++)
        {
            Assert.Equal(ReadGate.Open, stream.NextRead()); // holds nothing: reads one frame
            stream.Written(16);
            Assert.Equal(ReadGate.PausedByBudget, stream.NextRead()); // holds one: waits
            stream.Acked();
            Assert.Equal(ReadGate.Resumed, stream.NextRead());
            stream.Written(16);
            stream.Acked();
        }
        Assert.Equal(100, budget.HeldBytes);
    }

    [Fact]
    public void The_own_watermark_pause_comes_first_and_the_budget_is_checked_when_it_lifts()
    {
        var budget = new EchoBudget(150);
        var window = Window(budget);
        window.Written(60);
        window.Written(60); // 120: at the high watermark
        Assert.Equal(ReadGate.Paused, window.NextRead());
        var other = Window(budget);
        other.Written(100); // 220: exhausted
        window.Acked(); // 60 here, 160 in all
        Assert.Equal(ReadGate.StillPaused, window.NextRead());
        window.Acked(); // 0 here: holds nothing, so reads despite the budget
        Assert.Equal(ReadGate.Resumed, window.NextRead());
        Assert.Equal(0, budget.PausedConnections);
    }

    [Fact]
    public void Own_window_reopening_while_the_budget_is_exhausted_becomes_a_budget_pause()
    {
        var budget = new EchoBudget(110);
        var window = Window(budget);
        window.Written(70);
        window.Written(30);
        window.Written(20); // 120: at the high watermark
        Assert.Equal(ReadGate.Paused, window.NextRead());
        var other = Window(budget);
        other.Written(100);
        window.Acked(); // 50 here: above the low watermark
        Assert.Equal(ReadGate.StillPaused, window.NextRead());
        window.Acked(); // 20 here, 120 in all: the window reopens, the budget does not
        Assert.Equal(ReadGate.PausedByBudget, window.NextRead());
        Assert.False(window.IsPaused);
        Assert.Equal(1, budget.PausedConnections);
        other.Acked(); // 20 in all
        Assert.Equal(ReadGate.Resumed, window.NextRead());
        Assert.Equal(0, budget.PausedConnections);
    }

    [Fact]
    public void Releasing_a_window_gives_back_its_bytes_and_its_pause()
    {
        var budget = new EchoBudget(10);
        var window = Window(budget);
        window.Written(8);
        window.Written(8);
        Assert.Equal(ReadGate.PausedByBudget, window.NextRead());
        window.Release();
        Assert.Equal(0, budget.HeldBytes);
        Assert.Equal(0, budget.PausedConnections);
        Assert.True(window.IsEmpty);
    }

    [Fact]
    public void Counts_stay_exact_when_many_threads_draw_on_one_budget()
    {
        var budget = new EchoBudget(long.MaxValue);
        Parallel.For(0, 8, _ =>
        {
            var window = Window(budget);
            for (var i = 0; i < 10_000; i++)
            {
                window.Written(7);
                window.Acked();
            }
            window.Written(3);
        });
        Assert.Equal(8 * 3, budget.HeldBytes);
    }
}

using ActorEcho.TcpEcho;

namespace ActorEcho.Tests.Actors;

/// <summary>The un-acked echo accounting and the watermark decision, without actors.</summary>
public sealed class EchoWindowSpec
{
    private const int High = 100;
    private const int Low = 40;

    [Fact]
    public void Starts_empty_and_open()
    {
        var window = new EchoWindow(High, Low, EchoBudget.Unlimited());
        Assert.True(window.IsEmpty);
        Assert.False(window.IsPaused);
        Assert.Equal(ReadGate.Open, window.NextRead());
    }

    [Fact]
    public void Counts_written_bytes_and_releases_them_in_write_order()
    {
        var window = new EchoWindow(High, Low, EchoBudget.Unlimited());
        window.Written(10);
        window.Written(25);
        Assert.Equal(35, window.UnackedBytes);
        Assert.False(window.IsEmpty);

        Assert.Equal(10, window.Acked());
        Assert.Equal(25, window.UnackedBytes);
        Assert.Equal(25, window.Acked());
        Assert.True(window.IsEmpty);
    }

    [Fact]
    public void An_ack_without_a_write_is_refused()
    {
        var window = new EchoWindow(High, Low, EchoBudget.Unlimited());
        Assert.Throws<InvalidOperationException>(() => window.Acked());
    }

    [Fact]
    public void Stays_open_below_the_high_watermark_and_pauses_once_at_it()
    {
        var window = new EchoWindow(High, Low, EchoBudget.Unlimited());
        window.Written(High - 1);
        Assert.Equal(ReadGate.Open, window.NextRead());

        window.Written(1);
        Assert.Equal(ReadGate.Paused, window.NextRead());
        Assert.True(window.IsPaused);
        Assert.Equal(ReadGate.StillPaused, window.NextRead());
    }

    [Fact]
    public void Resumes_only_once_acks_bring_the_bytes_down_to_the_low_watermark()
    {
        var window = new EchoWindow(High, Low, EchoBudget.Unlimited());
        window.Written(30);
        window.Written(30);
        window.Written(50); // 110
        Assert.Equal(ReadGate.Paused, window.NextRead());

        window.Acked(); // 80: below the high watermark, above the low one
        Assert.Equal(ReadGate.StillPaused, window.NextRead());
        window.Acked(); // 50
        Assert.Equal(ReadGate.StillPaused, window.NextRead());
        window.Acked(); // 0
        Assert.Equal(ReadGate.Resumed, window.NextRead());
        Assert.False(window.IsPaused);
        Assert.Equal(ReadGate.Open, window.NextRead());
    }

    [Fact]
    public void Exactly_the_low_watermark_is_enough_to_resume()
    {
        var window = new EchoWindow(High, Low, EchoBudget.Unlimited());
        window.Written(High - Low);
        window.Written(Low);
        Assert.Equal(ReadGate.Paused, window.NextRead());
        window.Acked();
        Assert.Equal(Low, window.UnackedBytes);
        Assert.Equal(ReadGate.Resumed, window.NextRead());
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(100, 150)]
    [InlineData(100, -1)]
    public void Refuses_a_low_watermark_not_below_the_high_one(int high, int low) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EchoWindow(high, low, EchoBudget.Unlimited()));
}

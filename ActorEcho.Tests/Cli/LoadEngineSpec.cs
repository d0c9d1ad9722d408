using System.Net;
using System.Text.Json;
using ActorEcho.LoadEngine;

namespace ActorEcho.Tests.Cli;

/// <summary>The bench's building blocks that decide correctness: the byte pattern, stream mode's window, and
/// the options and modes as the command line and the JSON result spell them.</summary>
public sealed class LoadEngineSpec
{
    private static readonly EchoPattern Pattern = EchoPattern.Shared;

    [Fact]
    public void Pattern_slices_across_the_period_boundary_continue_the_stream()
    {
        var start = EchoPattern.Start(3);
        var offset = EchoPattern.Period - start - 10; // 10 bytes before the wrap, 10 after
        var across = Pattern.Slice(start, offset, 20).ToArray();

        Assert.Equal(Pattern.Slice(start, offset, 10).ToArray(), across[..10]);
        Assert.Equal(Pattern.Slice(start, offset + 10, 10).ToArray(), across[10..]);
        Assert.Equal(-1, Pattern.FirstMismatch(start, offset, across));
    }

    [Fact]
    public void Pattern_check_finds_the_first_wrong_byte()
    {
        var start = EchoPattern.Start(0);
        var echo = Pattern.Slice(start, 1000, 500).ToArray();
        echo[123] ^= 0x01;

        Assert.Equal(123, Pattern.FirstMismatch(start, 1000, echo));
    }

    [Fact]
    public void Different_connections_send_different_bytes_so_crossed_echoes_are_caught()
    {
        var first = Pattern.Slice(EchoPattern.Start(0), 0, 64).ToArray();

        Assert.NotEqual(-1, Pattern.FirstMismatch(EchoPattern.Start(1), 0, first));
    }

    [Fact]
    public async Task Window_lets_the_sender_wait_without_losing_a_wake_up_and_times_messages_in_order()
    {
        var window = new SendWindow(window: 300, messageSize: 100);
        for (var i = 1; i <= 3; i++)
        {
            Assert.True(await window.WaitForRoomAsync());
            window.Reserve(timestamp: i);
        }

        var waiting = window.WaitForRoomAsync().AsTask();
        Assert.False(waiting.IsCompleted); // 300 bytes in flight: full

        var echoed = new List<long>();
        Assert.True(window.Echoed(150, echoed, static (list, sentAt) => list.Add(sentAt)));
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([1L], echoed); // message 2 is only half back

        Assert.True(window.Echoed(150, echoed, static (list, sentAt) => list.Add(sentAt)));
        Assert.Equal([1L, 2L, 3L], echoed);
        Assert.False(window.Echoed(1, echoed, static (list, sentAt) => list.Add(sentAt))); // more than was sent
    }

    [Fact]
    public async Task Closing_the_window_releases_a_waiting_sender()
    {
        var window = new SendWindow(window: 100, messageSize: 100);
        Assert.True(await window.WaitForRoomAsync());
        window.Reserve(0);
        var waiting = window.WaitForRoomAsync().AsTask();

        window.Close();

        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(await window.WaitForRoomAsync());
    }

    [Fact]
    public void Modes_have_one_name_each_used_by_the_command_line_and_the_json_result()
    {
        Assert.Equal(["pingpong", "stream"], BenchModes.Names);
        foreach (var mode in Enum.GetValues<BenchMode>())
        {
            Assert.True(BenchModes.TryParse(mode.Name(), out var parsed));
            Assert.Equal(mode, parsed);
            Assert.Equal($"\"{mode.Name()}\"", JsonSerializer.Serialize(mode));
            Assert.Equal(mode, JsonSerializer.Deserialize<BenchMode>($"\"{mode.Name()}\""));
        }
        Assert.False(BenchModes.TryParse("PingPong", out _)); // the command line takes the names as written
        Assert.Equal(BenchMode.PingPong, new BenchOptions { Target = "t", Endpoint = new IPEndPoint(IPAddress.Loopback, 1) }.Mode);
    }

    [Theory]
    [InlineData(64, null, BenchOptions.DefaultWindow)]
    [InlineData(1024 * 1024, null, 1024 * 1024)] // a message larger than the default window: the window grows to fit
    [InlineData(64, 1000, 1000)]
    public void Stream_window_is_the_one_asked_for_or_the_default_grown_to_one_message(int size, int? window, int expected)
    {
        var options = new BenchOptions { Target = "t", Endpoint = new IPEndPoint(IPAddress.Loopback, 1), MessageSize = size, Window = window };

        Assert.Equal(expected, options.StreamWindow);
    }

    [Fact]
    public void A_run_that_would_exceed_the_open_file_limit_is_refused_before_it_opens_a_socket()
    {
        var limit = DescriptorBudget.OpenFileLimit();
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere the limit is not read, and running out is reported when it happens.
            Assert.Null(limit);
            DescriptorBudget.EnsureRoomFor(int.MaxValue - 1);
            return;
        }
        Assert.NotNull(limit);

        var refused = Assert.Throws<EchoFailureException>(() => DescriptorBudget.EnsureRoomFor((int)Math.Min(limit.Value, int.MaxValue - 1)));
        Assert.Equal(EchoFailureKind.Network, refused.Kind);
        Assert.Contains("ulimit -n", refused.Message);
        DescriptorBudget.EnsureRoomFor(1); // a run that fits is not refused
    }
}

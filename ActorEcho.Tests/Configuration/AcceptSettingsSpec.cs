using ActorEcho.Configuration;
using ActorEcho.Networking;

namespace ActorEcho.Tests.Configuration;

/// <summary>The keys that let the server take a reconnect storm: backlog (default: the OS maximum), accept-queues,
/// inline-socket-completions.</summary>
public sealed class AcceptSettingsSpec
{
    [Fact]
    public void The_default_backlog_is_the_os_maximum_read_from_somaxconn_on_linux()
    {
        var settings = EchoSettings.Create(ConfigLoader.Defaults);
        Assert.Equal(ListenBacklog.OsMaximum(), settings.Backlog);
        if (OperatingSystem.IsLinux())
            Assert.Equal(int.Parse(File.ReadAllText(ListenBacklog.SomaxconnPath).Trim()), settings.Backlog);
        Assert.Equal(1, settings.AcceptQueues);
        Assert.True(settings.InlineSocketCompletions);
    }

    [Theory]
    [InlineData("max")]
    [InlineData("MAX")]
    [InlineData("\" max \"")]
    public void Max_means_the_os_maximum(string value) =>
        Assert.Equal(ListenBacklog.OsMaximum(), With($"backlog = {value}").Backlog);

    [Fact]
    public void A_number_is_taken_as_given_even_above_somaxconn() =>
        // The kernel cuts it to somaxconn silently (akka.hocon says so); the setting itself is what was asked.
        Assert.Equal(100_000, With("backlog = 100000").Backlog);

    [Theory]
    [InlineData("backlog = 0")]
    [InlineData("backlog = -1")]
    [InlineData("backlog = maximum")]
    [InlineData("accept-queues = 0")]
    [InlineData("accept-queues = many")]
    [InlineData("inline-socket-completions = maybe")]
    public void Bad_values_are_one_line_errors_naming_the_key(string line)
    {
        var error = Assert.Throws<SettingsException>(() => With(line));
        Assert.Contains(line.Split(' ')[0], error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Reads_accept_queues_and_inline_completions()
    {
        if (OperatingSystem.IsLinux())
            Assert.Equal(4, With("accept-queues = 4").AcceptQueues);
        else
            Assert.Contains("Linux only", Assert.Throws<SettingsException>(() => With("accept-queues = 4")).Message);
        Assert.False(With("inline-socket-completions = off").InlineSocketCompletions);
    }

    private static EchoSettings With(string line) =>
        EchoSettings.Create(ConfigLoader.Parse($"actor-echo.{line}", "test").WithFallback(ConfigLoader.Defaults));
}

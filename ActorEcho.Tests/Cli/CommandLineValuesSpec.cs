using ActorEcho.Cli;

namespace ActorEcho.Tests.Cli;

public sealed class CommandLineValuesSpec
{
    [Theory]
    [InlineData("10", 10_000)]
    [InlineData("2.5", 2_500)]
    [InlineData("500ms", 500)]
    [InlineData("3s", 3_000)]
    [InlineData("1m", 60_000)]
    [InlineData(" 1 M ", 60_000)]
    public void Durations_are_seconds_by_default_and_take_ms_s_m(string text, int milliseconds)
    {
        Assert.True(CommandLineValues.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-1")]
    [InlineData("10h")]
    [InlineData("1e9")]
    public void Other_durations_are_rejected(string text) => Assert.False(CommandLineValues.TryParseDuration(text, out _));

    [Theory]
    [InlineData("64", 64)]
    [InlineData("16k", 16 * 1024)]
    [InlineData("16KiB", 16 * 1024)]
    [InlineData("1m", 1024 * 1024)]
    [InlineData("2MB", 2 * 1024 * 1024)]
    public void Sizes_are_bytes_with_binary_k_and_m(string text, int bytes)
    {
        Assert.True(CommandLineValues.TryParseByteSize(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.5k")]
    [InlineData("-4")]
    [InlineData("4g")]
    [InlineData("99999999999")]
    public void Other_sizes_are_rejected(string text) => Assert.False(CommandLineValues.TryParseByteSize(text, out _));
}

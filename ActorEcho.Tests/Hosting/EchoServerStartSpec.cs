using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Hosting;
using Akka.Configuration;

namespace ActorEcho.Tests.Hosting;

/// <summary>Starting the server with bad <c>akka.io.tcp</c> settings: one line naming them, never an exception
/// the host cannot explain. Each value is one that Akka.NET 1.5.74 throws a different exception type for.</summary>
public sealed class EchoServerStartSpec
{
    [Theory]
    [InlineData("akka.io.tcp.maximum-frame-size = 512 KiB")] // ArgumentException: larger than send-buffer-size (256 KiB)
    [InlineData("akka.io.tcp.batch-accept-limit = many")] // FormatException
    [InlineData("akka.io.tcp.send-buffer-size = null")] // InvalidOperationException: a size without a value
    [InlineData("akka.io.tcp.trace-logging = maybe")] // NotSupportedException: not a boolean
    [InlineData("akka.io.tcp = 5")] // NullReferenceException: HoconObject.MergeImmutable, not an object
    public async Task Bad_akka_io_tcp_settings_fail_the_start_with_one_line(string hocon)
    {
        var config = ConfigurationFactory.ParseString(hocon).WithFallback(ConfigLoader.Defaults);
        var settings = EchoSettings.Create(ConfigLoader.Defaults);

        var error = await Assert.ThrowsAsync<SettingsException>(
            () => EchoServer.StartAsync(config, settings, new IPEndPoint(IPAddress.Loopback, 0)));

        Assert.StartsWith("invalid akka.io.tcp settings: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}

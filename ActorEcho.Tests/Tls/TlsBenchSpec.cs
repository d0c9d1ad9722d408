using System.Text.Json;
using ActorEcho.Configuration;
using ActorEcho.Tests.Process;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Tls;

/// <summary><c>bench --tls</c> against the whole server (in-process, TLS listener with a self-signed certificate): a
/// second of warmup and two of each phase, every echo checked, handshakes/s reported. A functional check, not a measurement.</summary>
public sealed class TlsBenchSpec
{
    [Theory]
    [InlineData("pingpong")]
    [InlineData("stream")]
    public async Task Bench_tls_reports_handshakes_and_echoes_per_second(string mode)
    {
        await using var server = await InProcessEchoServer.StartAsync(s => s with
        {
            Tls = new TlsSettings { BindAddress = "127.0.0.1:0", Certificate = TlsSettings.SelfSigned },
        });
        var address = EndpointParser.Format(Assert.IsType<System.Net.IPEndPoint>(server.TlsLocalEndpoint));

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["bench", "--tls", "--insecure", address, "-c", "2", "-s", "1000", "-m", mode, "-d", "2", "-w", "1", "--json"],
            TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, stderr);
        using var report = JsonDocument.Parse(stdout);
        Assert.True(report.RootElement.GetProperty("handshakesPerSecond").GetDouble() > 0, stdout);
        Assert.True(report.RootElement.GetProperty("messagesPerSecond").GetDouble() > 0, stdout);
    }
}

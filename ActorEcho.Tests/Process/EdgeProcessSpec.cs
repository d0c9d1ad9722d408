using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorEcho.Tests.Cli;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Process;

/// <summary>A theory skipped, with the reason shown, where <c>haproxy</c> is not installed (.ci/run installs it) or
/// a client cannot be bound to 127.0.0.2.</summary>
public sealed class HaproxyTheoryAttribute : TheoryAttribute
{
    public HaproxyTheoryAttribute()
    {
        if (EdgeProcessSpec.HaproxyPath() is null)
            Skip = "haproxy is not installed (apt-get install haproxy; .ci/run installs it)";
        else
            Skip = LoopbackSourcesFactAttribute.UnavailableReason;
    }
}

/// <summary>
/// The host process behind a real HAProxy that sends the PROXY header (the deployment docs/edge.md describes), and
/// the host's own answers to peers that are not trusted or send no header.
/// </summary>
public sealed class EdgeProcessSpec
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly IPAddress Client = IPAddress.Parse("127.0.0.2");

    internal static string? HaproxyPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin")
        .Select(dir => Path.Combine(dir, "haproxy")).FirstOrDefault(File.Exists);

    internal static async Task<string> WriteTempAsync(string extension, string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"actor-echo-edge-{Guid.NewGuid():N}.{extension}");
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    private static Task<string> ProxiedConfigAsync() => WriteTempAsync("hocon", """
        actor-echo {
          proxy-protocol { mode = any, trusted-sources = ["127.0.0.1/32"] }
          access-log = on
        }
        """);

    [HaproxyTheory]
    [InlineData("send-proxy-v2")]
    [InlineData("send-proxy")]
    public async Task Through_HAProxy_a_client_on_127_0_0_2_echoes_12345_bytes_and_the_log_and_access_log_show_it(string sendProxy)
    {
        var ct = Deadline.After(Patience * 2);
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", await ProxiedConfigAsync());
        var server = await host.WaitListeningAsync(Patience);
        var front = LoopbackPorts.Free();
        using var haproxy = await StartHaproxyAsync(front, server.Port, sendProxy);
        try
        {
            using var client = await ConnectWhenListeningAsync(new IPEndPoint(IPAddress.Loopback, front), haproxy, ct);
            var clientPort = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;
            var data = LoopbackClient.RandomBytes(12_345, seed: 18);
            Assert.Equal(data, await client.EchoWithHalfCloseAsync(data, ct));

            await host.WaitForLineAsync($"Access client=127.0.0.2:{clientPort} ", Patience);
            var log = host.StandardError;
            Assert.Contains($"Accepting connection from 127.0.0.2:{clientPort} via 127.0.0.1:", log);
            var access = log.Split('\n').Single(line => line.Contains($"Access client=127.0.0.2:{clientPort} "));
            Assert.Contains(" via=127.0.0.1:", access);
            Assert.Contains($" listener=127.0.0.1:{server.Port} ", access);
            Assert.Contains(" bytes_in=12345 bytes_out=12345 ", access);
            Assert.Contains(" reason=peer-closed", access);
            Assert.Matches(@" duration_ms=\d+ ", access);
        }
        finally
        {
            haproxy.Kill();
            await haproxy.WaitForExitAsync(ct);
        }
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(Patience));
    }

    [HaproxyTheory]
    [InlineData("send-proxy-v2")]
    public async Task Through_HAProxy_in_TLS_passthrough_a_client_on_127_0_0_2_handshakes_after_the_header_and_is_logged(string sendProxy)
    {
        var ct = Deadline.After(Patience * 2);
        var settings = await WriteTempAsync("hocon", """
            actor-echo {
              proxy-protocol { mode = any, trusted-sources = ["127.0.0.1/32"] }
              access-log = on
              tls.certificate = self-signed
            }
            """);
        await using var host = HostProcess.Start(["serve", "127.0.0.1:0", "--tls", "127.0.0.1:0", "--config", settings]);
        await host.WaitForLineAsync("Listening on tls ", Patience);
        var tlsPort = int.Parse(System.Text.RegularExpressions.Regex.Match(host.StandardOutput, @"Listening on tls 127\.0\.0\.1:(\d+)").Groups[1].Value);
        var front = LoopbackPorts.Free();
        // TLS passthrough: HAProxy in TCP mode forwards the ciphertext untouched, after its PROXY header.
        using var haproxy = await StartHaproxyAsync(front, tlsPort, sendProxy);
        try
        {
            await using var client = await WhenListeningAsync(haproxy, ct, () =>
                ActorEcho.Tests.Tls.TlsClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, front), ct, trustAny: true,
                    from: Client, targetHost: "echo.example"));
            var clientPort = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;
            var data = LoopbackClient.RandomBytes(12_345, seed: 19);
            Assert.Equal(data, await client.EchoWithHalfCloseAsync(data, ct));

            await host.WaitForLineAsync($"Access client=127.0.0.2:{clientPort} ", Patience);
            var log = host.StandardError;
            Assert.Contains($"Accepting connection from 127.0.0.2:{clientPort} via 127.0.0.1:", log);
            var access = log.Split('\n').Single(line => line.Contains($"Access client=127.0.0.2:{clientPort} "));
            Assert.Contains($" listener=127.0.0.1:{tlsPort} ", access);
            Assert.Contains(" reason=peer-closed", access);
            Assert.Matches(@" tls_protocol=TLSv1\.[23] tls_cipher=TLS_\w+ tls_sni=echo\.example tls_client_subject=-", access);
        }
        finally
        {
            haproxy.Kill();
            await haproxy.WaitForExitAsync(ct);
        }
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(Patience));
    }

    /// <summary>HAProxy in TCP mode on 127.0.0.1:<paramref name="front"/>, forwarding to 127.0.0.1:<paramref name="backend"/>
    /// with <paramref name="sendProxy"/>.</summary>
    internal static async Task<System.Diagnostics.Process> StartHaproxyAsync(int front, int backend, string sendProxy)
    {
        var config = await WriteTempAsync("cfg", $"""
            global
                maxconn 100
            defaults
                mode tcp
                timeout connect 2s
                timeout client 30s
                timeout server 30s
            frontend echo
                bind 127.0.0.1:{front}
                default_backend actor_echo
            backend actor_echo
                server echo1 127.0.0.1:{backend} {sendProxy}

            """); // HAProxy refuses a file whose last line has no LF
        return System.Diagnostics.Process.Start(new ProcessStartInfo(HaproxyPath()!, ["-db", "-f", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
    }

    /// <summary>HAProxy binds its frontend a moment after it starts: retry the connect, bounded.</summary>
    private static async Task<T> WhenListeningAsync<T>(System.Diagnostics.Process haproxy, CancellationToken ct, Func<Task<T>> connect)
    {
        while (true)
        {
            if (haproxy.HasExited)
                throw new InvalidOperationException(
                    $"haproxy exited with {haproxy.ExitCode}: {await haproxy.StandardError.ReadToEndAsync(ct)}");
            try
            {
                return await connect();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                await Task.Delay(50, ct);
            }
        }
    }

    internal static Task<LoopbackClient> ConnectWhenListeningAsync(IPEndPoint front, System.Diagnostics.Process haproxy,
        CancellationToken ct) =>
        WhenListeningAsync(haproxy, ct, () => LoopbackClient.ConnectAsync(front, ct, from: Client));

    [LoopbackSourcesFact]
    public async Task An_untrusted_peers_header_sets_no_address_and_a_trusted_peer_without_one_gets_no_echo()
    {
        var ct = Deadline.After(Patience);
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", await ProxiedConfigAsync());
        var server = await host.WaitListeningAsync(Patience);

        using (var untrusted = await LoopbackClient.ConnectAsync(server, ct, from: Client))
        {
            var header = Encoding.ASCII.GetBytes("PROXY TCP4 198.51.100.99 127.0.0.1 51000 2000\r\nhello");
            var (_, echoed) = await untrusted.EchoUntilClosedAsync(header, ct);
            Assert.Empty(echoed);
        }
        using (var silent = await LoopbackClient.ConnectAsync(server, ct, from: IPAddress.Loopback))
        {
            var (_, echoed) = await silent.EchoUntilClosedAsync("no header here"u8.ToArray(), ct);
            Assert.Empty(echoed);
        }
        await host.WaitForLineAsync("reason=proxy-header-invalid", Patience);
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(Patience));
        Assert.Contains("Refused connections: 1 untrusted-proxy (last from 127.0.0.2:", host.StandardError);
        Assert.DoesNotContain("198.51.100.99", host.StandardError);
        Assert.DoesNotContain("198.51.100.99", host.StandardOutput);
    }

    [Fact]
    public async Task The_PROXY_protocol_without_trusted_sources_is_one_line_and_exit_code_2()
    {
        var config = await WriteTempAsync("hocon", "actor-echo.proxy-protocol.mode = v2");
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["127.0.0.1:0", "--config", config], Patience);
        Assert.Contains("proxy-protocol.trusted-sources", CliAssert.OneLineError(2, exitCode, stderr));
        Assert.Equal("", stdout);
    }
}

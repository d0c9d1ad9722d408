using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Process;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>
/// The built host with its TLS listener, against real clients: <c>openssl s_client</c>, <c>socat OPENSSL:</c> and
/// the host's own <c>client --tls</c>. The server's certificate and key (signed by the specs' CA) are written to a
/// temporary directory with the config that names them.
/// </summary>
public sealed partial class TlsProcessSpec(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-tls-host-").FullName;

    private string CaFile => Path.Combine(_directory, "ca.pem");

    /// <summary>Starts the host with TCP, TLS and UDP on port 0 and returns it with the TLS port.</summary>
    private async Task<(HostProcess Host, int TlsPort)> StartAsync(string extraTls = "")
    {
        var (certificate, key) = TestCertificates.Pem(TestCertificates.Server);
        await File.WriteAllTextAsync(Path.Combine(_directory, "server.crt"), certificate + "\n");
        await File.WriteAllTextAsync(Path.Combine(_directory, "server.key"), key + "\n");
        await File.WriteAllTextAsync(CaFile, TestCertificates.Ca.ExportCertificatePem() + "\n");
        var config = Path.Combine(_directory, "echo.hocon");
        await File.WriteAllTextAsync(config, $$"""
            actor-echo.tls {
              certificate = "{{_directory}}/server.crt"
              private-key = "{{_directory}}/server.key"
              {{extraTls}}
            }
            """);
        var host = HostProcess.Start(["serve", "127.0.0.1:0", "--tls", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--config", config]);
        try
        {
            await host.WaitForLineAsync("Listening on udp ", Patience);
            var lines = host.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // The order the issue asks for: TCP, then tls, then udp.
            Assert.Matches(@"^Listening on 127\.0\.0\.1:\d+$", lines[0]);
            Assert.Matches(@"^Listening on tls 127\.0\.0\.1:\d+$", lines[1]);
            Assert.Matches(@"^Listening on udp 127\.0\.0\.1:\d+$", lines[2]);
            return (host, int.Parse(PortOf().Match(lines[1]).Groups[1].Value));
        }
        catch
        {
            output.WriteLine(host.StandardOutput + host.StandardError);
            await host.DisposeAsync();
            throw;
        }
    }

    [ToolFact("openssl")]
    public async Task Openssl_s_client_gets_its_echo_and_the_servers_close_notify_at_end_of_input()
    {
        var (host, port) = await StartAsync();
        await using var _ = host;
        using var client = Tool("openssl", "s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", CaFile,
            "-verify_return_error", "-quiet", "-no_ign_eof");
        var stdout = Collect(client.StandardOutput);

        await client.StandardInput.WriteAsync("hello from s_client\n");
        await client.StandardInput.FlushAsync();
        await stdout.WaitForAsync("hello from s_client", Patience);
        // End of input: s_client sends close_notify; the server answers with its own and FIN, and s_client exits.
        client.StandardInput.Close();
        await client.WaitForExitAsync().WaitAsync(Patience);

        output.WriteLine(stdout.Text + await client.StandardError.ReadToEndAsync());
        Assert.Equal(0, client.ExitCode);
    }

    [ToolFact("socat")]
    public async Task Socat_echoes_a_megabyte_exactly_and_ends_at_its_half_close()
    {
        var (host, port) = await StartAsync();
        await using var _ = host;
        var data = LoopbackClient.RandomBytes(1024 * 1024, seed: 19);
        var input = Path.Combine(_directory, "in.bin");
        await File.WriteAllBytesAsync(input, data);
        using var client = Tool("bash", "-c", $"exec socat -t 5 - OPENSSL:127.0.0.1:{port},cafile={CaFile} < {input}");
        var echo = new MemoryStream();
        var copying = client.StandardOutput.BaseStream.CopyToAsync(echo);
        var errors = client.StandardError.ReadToEndAsync();

        await client.WaitForExitAsync().WaitAsync(Patience);
        await copying;

        output.WriteLine(await errors);
        Assert.Equal(0, client.ExitCode);
        Assert.True(data.AsSpan().SequenceEqual(echo.ToArray()), $"socat got {echo.Length} bytes, not the {data.Length} sent");
    }

    [Fact]
    public async Task The_hosts_own_client_echoes_over_TLS_with_ca_and_with_a_client_certificate()
    {
        var client = TestCertificates.GoodClient();
        var (certificate, key) = TestCertificates.Pem(client);
        await File.WriteAllTextAsync(Path.Combine(_directory, "client.crt"), certificate + "\n");
        await File.WriteAllTextAsync(Path.Combine(_directory, "client.key"), key + "\n");
        var (host, port) = await StartAsync($"client-certificate = optional, client-ca = \"{CaFile}\"");
        await using var _ = host;
        var tcpPort = int.Parse(PortOf().Match(host.StandardOutput.Split('\n')[0]).Groups[1].Value);

        var verified = await HostProcess.RunAsync(["client", "--tls", "--ca", CaFile, $"localhost:{port}", "hello TLS"], Patience);
        var mutual = await HostProcess.RunAsync(["client", "--tls", "--ca", CaFile, "--cert", Path.Combine(_directory, "client.crt"),
            "--key", Path.Combine(_directory, "client.key"), $"127.0.0.1:{port}", "hello mTLS"], Patience);
        var unverified = await HostProcess.RunAsync(["client", "--tls", $"127.0.0.1:{port}", "hello"], Patience);
        var plain = await HostProcess.RunAsync(["client", $"127.0.0.1:{tcpPort}", "hello TCP"], Patience);

        output.WriteLine($"verified: {verified.Stderr}mutual: {mutual.Stderr}unverified: {unverified.Stderr}plain: {plain.Stderr}");
        Assert.Equal((0, "hello TLS"), (verified.ExitCode, verified.Stdout.TrimEnd('\n')));
        Assert.Equal((0, "hello mTLS"), (mutual.ExitCode, mutual.Stdout.TrimEnd('\n')));
        // Not signed by a CA the system trusts: refused, in one line.
        Assert.Equal(3, unverified.ExitCode);
        Assert.Single(unverified.Stderr.Trim().Split('\n'));
        Assert.Equal((0, "hello TCP"), (plain.ExitCode, plain.Stdout.TrimEnd('\n')));
    }

    [Fact]
    public async Task Self_signed_serves_a_client_that_does_not_verify()
    {
        var config = Path.Combine(_directory, "self-signed.hocon");
        await File.WriteAllTextAsync(config, "actor-echo.tls.certificate = self-signed\n");
        await using var host = HostProcess.Start(["serve", "127.0.0.1:0", "--tls", "127.0.0.1:0", "--config", config]);
        await host.WaitForLineAsync("Listening on tls ", Patience);
        var port = int.Parse(PortOf().Match(host.StandardOutput.Split('\n')[1]).Groups[1].Value);

        var echo = await HostProcess.RunAsync(["client", "--tls", "--insecure", $"127.0.0.1:{port}", "hello"], Patience);

        Assert.Equal((0, "hello"), (echo.ExitCode, echo.Stdout.TrimEnd('\n')));
        Assert.Contains("SHA-256 fingerprint", host.StandardError);
    }

    [Fact]
    public async Task TLS_on_without_a_certificate_is_one_line_and_exit_2()
    {
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["serve", "127.0.0.1:0", "--tls", "127.0.0.1:0"], Patience);

        Assert.Equal(2, exitCode);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("actor-echo.tls.certificate", line);
    }

    private static System.Diagnostics.Process Tool(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return System.Diagnostics.Process.Start(start)!;
    }

    /// <summary>Reads a process's output as it comes, so that a spec can wait for a piece of it.</summary>
    private static OutputCollector Collect(StreamReader reader) => new(reader);

    private sealed class OutputCollector
    {
        private readonly StringBuilder _text = new();
        private readonly SemaphoreSlim _changed = new(0);

        public OutputCollector(StreamReader reader) => _ = PumpAsync(reader);

        public string Text { get { lock (_text) return _text.ToString(); } }

        private async Task PumpAsync(StreamReader reader)
        {
            var buffer = new char[4096];
            int read;
            while ((read = await reader.ReadAsync(buffer)) > 0)
            {
                lock (_text)
                    _text.Append(buffer, 0, read);
                _changed.Release();
            }
        }

        public async Task WaitForAsync(string text, TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (!Text.Contains(text))
                await _changed.WaitAsync(deadline.Token);
        }
    }

    [GeneratedRegex(@":(\d+)\s*$")]
    private static partial Regex PortOf();

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

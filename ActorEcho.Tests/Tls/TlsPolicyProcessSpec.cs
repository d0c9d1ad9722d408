using System.Diagnostics;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Process;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>
/// <c>actor-echo.tls.policy</c> against <c>openssl s_client</c>: the built host with a self-signed (ECDSA P-256)
/// certificate. Intermediate offers TLS 1.2 only with ECDHE and AEAD suites (a client that offers only CBC is refused),
/// modern offers TLS 1.3 alone, custom offers the suites it names and refuses an unknown name at start.
/// </summary>
public sealed partial class TlsPolicyProcessSpec(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-tls-policy-").FullName;

    /// <summary>Starts the host with TLS on port 0 and <paramref name="tls"/> in <c>actor-echo.tls</c>; returns it and
    /// the TLS port.</summary>
    private async Task<(HostProcess Host, int Port)> StartAsync(string tls = "")
    {
        var config = Path.Combine(_directory, "policy.hocon");
        await File.WriteAllTextAsync(config, $"actor-echo.tls {{\n  certificate = self-signed\n  {tls}\n}}\n");
        var host = HostProcess.Start(["serve", "127.0.0.1:0", "--tls", "127.0.0.1:0", "--config", config]);
        try
        {
            await host.WaitForLineAsync("Listening on tls ", Patience);
            var line = host.StandardOutput.Split('\n').First(l => l.StartsWith("Listening on tls ", StringComparison.Ordinal));
            return (host, int.Parse(PortOf().Match(line).Groups[1].Value));
        }
        catch
        {
            output.WriteLine(host.StandardOutput + host.StandardError);
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>openssl s_client</c> with <paramref name="options"/>: true when it got its line echoed (the
    /// handshake succeeded), false when it exited first (refused).</summary>
    private async Task<bool> EchoesThroughOpensslAsync(int port, params string[] options)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["s_client", "-connect", $"127.0.0.1:{port}", "-quiet", "-no_ign_eof", .. options])
            start.ArgumentList.Add(argument);
        using var client = System.Diagnostics.Process.Start(start)!;
        var errors = client.StandardError.ReadToEndAsync();
        try
        {
            await client.StandardInput.WriteAsync("policy check\n");
            await client.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            // A refused s_client may have exited already: its stdin is a broken pipe.
        }
        var echo = client.StandardOutput.ReadLineAsync();
        var first = await Task.WhenAny(echo, client.WaitForExitAsync()).WaitAsync(Patience);
        var echoed = first == echo && await echo == "policy check";
        try
        {
            client.StandardInput.Close();
        }
        catch (IOException)
        {
            // As above: closing flushes into a pipe s_client no longer reads.
        }
        await client.WaitForExitAsync().WaitAsync(Patience);
        output.WriteLine($"s_client {string.Join(' ', options)}: exit {client.ExitCode}, echoed {echoed}\n{await errors}");
        return echoed;
    }

    [ToolFact("openssl")]
    public async Task Intermediate_refuses_a_client_offering_only_CBC_suites_and_serves_AEAD_and_TLS13_ones()
    {
        var (host, port) = await StartAsync();
        await using var _ = host;

        Assert.False(await EchoesThroughOpensslAsync(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"));
        Assert.False(await EchoesThroughOpensslAsync(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA"));
        Assert.False(await EchoesThroughOpensslAsync(port, "-tls1_1"));
        Assert.True(await EchoesThroughOpensslAsync(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"));
        Assert.True(await EchoesThroughOpensslAsync(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"));
        Assert.True(await EchoesThroughOpensslAsync(port, "-tls1_3"));
    }

    [ToolFact("openssl")]
    public async Task Modern_refuses_TLS12_and_serves_TLS13()
    {
        var (host, port) = await StartAsync("policy = modern");
        await using var _ = host;

        Assert.False(await EchoesThroughOpensslAsync(port, "-tls1_2"));
        Assert.True(await EchoesThroughOpensslAsync(port, "-tls1_3"));
    }

    [ToolFact("openssl")]
    public async Task Custom_offers_only_the_suites_it_names()
    {
        var (host, port) = await StartAsync(
            "policy = custom\n  cipher-suites = [\"TLS_AES_256_GCM_SHA384\", \"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\"]");
        await using var _ = host;

        Assert.True(await EchoesThroughOpensslAsync(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"));
        Assert.False(await EchoesThroughOpensslAsync(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"));
        Assert.True(await EchoesThroughOpensslAsync(port, "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"));
        Assert.False(await EchoesThroughOpensslAsync(port, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"));
    }

    [Theory]
    [InlineData("policy = custom\n  cipher-suites = [\"TLS_AES_128_GCM_SHA256\", \"TLS_RSA_WITH_NOTHING\"]", "TLS_RSA_WITH_NOTHING")]
    [InlineData("policy = custom", "cipher-suites")]
    [InlineData("policy = paranoid", "policy")]
    [InlineData("cipher-suites = [\"TLS_AES_128_GCM_SHA256\"]", "cipher-suites")]
    public async Task A_bad_policy_or_suite_list_is_one_line_and_exit_2(string tls, string named)
    {
        var config = Path.Combine(_directory, "bad.hocon");
        await File.WriteAllTextAsync(config, $"actor-echo.tls {{\n  certificate = self-signed\n  {tls}\n}}\n");

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["serve", "127.0.0.1:0", "--tls", "127.0.0.1:0", "--config", config], Patience);

        Assert.Equal(2, exitCode);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(named, line);
    }

    [GeneratedRegex(@":(\d+)\s*$")]
    private static partial Regex PortOf();

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

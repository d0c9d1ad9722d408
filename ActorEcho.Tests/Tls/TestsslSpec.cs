using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Process;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>
/// testssl.sh against the TLS listener with its default policy (intermediate) and a self-signed certificate: protocols,
/// the standard cipher lists and the vulnerability checks (about 30 s here), read from its JSON. Nothing rated HIGH or
/// CRITICAL and nothing VULNERABLE, except what concerns the test certificate itself (its chain of trust, revocation);
/// TLS 1.0 and 1.1 not offered, no CBC suite (testssl's "AVERAGE" list), LUCKY13 not vulnerable.
/// </summary>
public sealed partial class TestsslSpec(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    /// <summary>testssl took 31 s here; a loaded CI machine gets room for several times that.</summary>
    private static readonly TimeSpan ScanLimit = TimeSpan.FromSeconds(240);
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-testssl-").FullName;

    /// <summary>Findings about the certificate itself: a self-signed one is never trusted and has no revocation info.</summary>
    private static readonly string[] CertificateOwn = ["cert_chain_of_trust", "cert_trust", "cert_revocation", "cert_crl", "cert_ocsp", "OCSP_stapling"];

    [ToolFact("testssl")]
    public async Task The_TLS_listener_has_no_vulnerable_finding_offers_no_TLS10_or_11_and_no_CBC_suite()
    {
        var config = Path.Combine(_directory, "testssl.hocon");
        await File.WriteAllTextAsync(config, "actor-echo.tls.certificate = self-signed\n");
        await using var host = HostProcess.Start(["serve", "127.0.0.1:0", "--tls", "127.0.0.1:0", "--config", config]);
        await host.WaitForLineAsync("Listening on tls ", Patience);
        var line = host.StandardOutput.Split('\n').First(l => l.StartsWith("Listening on tls ", StringComparison.Ordinal));
        var port = int.Parse(PortOf().Match(line).Groups[1].Value);
        var json = Path.Combine(_directory, "testssl.json");

        var exitCode = await RunTestsslAsync(json, $"127.0.0.1:{port}");

        var findings = JsonSerializer.Deserialize<Finding[]>(await File.ReadAllTextAsync(json)) ?? [];
        foreach (var finding in findings)
            output.WriteLine($"{finding.Id} | {finding.Severity} | {finding.Text}");
        output.WriteLine($"testssl exit code {exitCode}");
        Assert.NotEmpty(findings);
        var bad = findings.Where(f => !CertificateOwn.Any(f.Id.StartsWith)
                                      && (f.Severity is "HIGH" or "CRITICAL" || f.Text.Contains("VULNERABLE", StringComparison.Ordinal)))
            .Select(f => $"{f.Id}: {f.Severity} {f.Text}").ToArray();
        Assert.Empty(bad);
        Assert.StartsWith("not offered", Single(findings, "TLS1").Text);
        Assert.StartsWith("not offered", Single(findings, "TLS1_1").Text);
        Assert.StartsWith("offered", Single(findings, "TLS1_2").Text);
        Assert.StartsWith("offered", Single(findings, "TLS1_3").Text);
        Assert.StartsWith("not offered", Single(findings, "cipherlist_AVERAGE").Text);
        Assert.StartsWith("not vulnerable", Single(findings, "LUCKY13").Text);
    }

    private static Finding Single(Finding[] findings, string id) =>
        findings.FirstOrDefault(f => f.Id == id) ?? throw new Xunit.Sdk.XunitException($"testssl reported no '{id}'");

    private async Task<int> RunTestsslAsync(string json, string target)
    {
        var start = new ProcessStartInfo("testssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--quiet", "--color", "0", "--warnings", "off", "--protocols", "--std", "--vulnerable",
                     "--jsonfile", json, target])
            start.ArgumentList.Add(argument);
        using var testssl = System.Diagnostics.Process.Start(start)!;
        var stdout = testssl.StandardOutput.ReadToEndAsync();
        var stderr = testssl.StandardError.ReadToEndAsync();
        try
        {
            await testssl.WaitForExitAsync().WaitAsync(ScanLimit);
        }
        catch (TimeoutException)
        {
            testssl.Kill(entireProcessTree: true);
            throw;
        }
        output.WriteLine(await stdout + await stderr);
        return testssl.ExitCode;
    }

    /// <summary>One entry of testssl's flat JSON (<c>--jsonfile</c>).</summary>
    private sealed record Finding(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("severity")] string Severity,
        [property: System.Text.Json.Serialization.JsonPropertyName("finding")] string Text);

    [GeneratedRegex(@":(\d+)\s*$")]
    private static partial Regex PortOf();

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

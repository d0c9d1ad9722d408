using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>The Grafana dashboard (<c>deploy/grafana/actor-echo.json</c>) and <c>/metrics</c> cannot drift apart:
/// every metric name any panel's query uses is exported by a fresh server (its series are created at zero at
/// start), with every listener on. Isolated: the budget's limit is read from the process-wide meter.</summary>
[Collection(IsolatedCollection.Name)]
public sealed partial class DashboardMetricsSpec(ITestOutputHelper output)
{
    /// <summary>PromQL words that are not metric names.</summary>
    private static readonly HashSet<string> Keywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"];

    [Fact]
    public async Task Every_metric_the_dashboard_queries_is_exported_by_a_fresh_server()
    {
        var names = DashboardMetricNames();
        output.WriteLine(string.Join('\n', names));
        Assert.Contains("actorecho_connections_active", names); // the parsing found the queries

        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var started = DateTimeOffset.UtcNow;
        await using var server = await InProcessEchoServer.StartAsync(s => s with
        {
            HttpEndpoint = new Uri("http://127.0.0.1:0"),
            Tls = new TlsSettings { BindAddress = "127.0.0.1:0", Certificate = TlsSettings.SelfSigned },
            Udp = s.Udp with { BindAddress = "127.0.0.1:0" },
        });
        using var http = new HttpClient();
        var exposition = await http.GetStringAsync(new Uri(server.HttpAddress!, "/metrics"), ct);
        var exported = ExportedNames().Matches(exposition).Select(m => m.Groups["name"].Value).ToHashSet();

        var missing = names.Where(name => !new[] { name, $"{name}_bucket", $"{name}_sum", $"{name}_count" }.Any(exported.Contains));
        Assert.Empty(missing);
        // The budget panel's line: this server's max-buffered-bytes.
        Assert.Equal(server.Settings.MaxBufferedBytes, PrometheusText.Sample(exposition, "actorecho_bytes_buffered_limit_bytes"));
        // The expiry panel's: the certificate in force, here the one made at start (valid for a year).
        var notAfter = DateTimeOffset.FromUnixTimeSeconds((long)PrometheusText.Sample(exposition, "actorecho_tls_certificate_not_after_seconds"));
        Assert.InRange(notAfter, started.AddYears(1).AddMinutes(-1), DateTimeOffset.UtcNow.AddYears(1).AddMinutes(1));
    }

    /// <summary>The metric names in every panel target's <c>expr</c>: label matchers, ranges and groupings removed,
    /// what is left that is not a function or a keyword.</summary>
    private static SortedSet<string> DashboardMetricNames()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ActorEcho.Tests.grafana-dashboard.json")!;
        using var dashboard = JsonDocument.Parse(stream);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var expr in Expressions(dashboard.RootElement))
        {
            var bare = Grouping().Replace(Ranges().Replace(Matchers().Replace(expr, ""), ""), "");
            foreach (Match word in Identifier().Matches(bare))
                if (!Keywords.Contains(word.Value))
                    names.Add(word.Value);
        }
        return names;
    }

    private static IEnumerable<string> Expressions(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
                if (property is { Name: "expr", Value.ValueKind: JsonValueKind.String })
                    yield return property.Value.GetString()!;
                else
                    foreach (var expr in Expressions(property.Value))
                        yield return expr;
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
                foreach (var expr in Expressions(item))
                    yield return expr;
        }
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    /// <summary>A name not followed by "(" (a function) and not part of a number.</summary>
    [GeneratedRegex(@"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", RegexOptions.Multiline)]
    private static partial Regex ExportedNames();
}

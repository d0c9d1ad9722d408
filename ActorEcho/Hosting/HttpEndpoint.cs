using System.Buffers;
using System.Net;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ActorEcho.Hosting;

/// <summary>
/// The optional HTTP endpoint (<c>actor-echo.http-endpoint</c>) for balancers, orchestrators and Prometheus,
/// served by Kestrel inside the server's one host (<see cref="EchoServer"/>):
/// <list type="bullet">
/// <item><c>GET /metrics</c>: the <see cref="EchoMetrics.MeterName"/> meter in Prometheus' text format
/// (OpenTelemetry's ASP.NET Core exporter);</item>
/// <item><c>GET /ready</c>: 200 while the server is bound and not shutting down, 503 otherwise (lame duck and
/// drain included) — what HAProxy's <c>option httpchk</c> and a Kubernetes readiness probe ask;</item>
/// <item><c>GET /live</c>: 200 while the actor system runs, 503 otherwise — a liveness probe;</item>
/// <item><c>GET /connections</c> and <c>GET /sources</c>: the live view (<see cref="ConnectionsEndpoint"/>).</item>
/// <item><c>GET /</c>: the status page (<see cref="StatusPage"/>), which reads <c>GET /status.json</c>
/// (<see cref="StatusBoard"/>).</item>
/// </list>
/// Every path answers GET and HEAD only (405 otherwise), and none changes the server. It has no authentication: keep
/// it on loopback or a private network.
/// </summary>
public static class HttpEndpoint
{
    public const string MetricsPath = "/metrics";
    public const string ReadyPath = "/ready";
    public const string LivePath = "/live";
    public const string StatusPagePath = "/";
    public const string StatusJsonPath = "/status.json";

    /// <summary>Adds Kestrel, listening at <paramref name="url"/> (scheme, host and port are used), to the host
    /// being built, with its paths; <c>/ready</c> and <c>/live</c> are ASP.NET Core health checks fed by
    /// <paramref name="echo"/>'s readiness, the status page reads the rest of <paramref name="echo"/>.</summary>
    public static void Configure(IWebHostBuilder web, Uri url, EchoHostContext echo)
    {
        var readiness = echo.Readiness;
        var endpoint = new IPEndPoint(HostAddress(url), url.Port);
        web.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Scrapes and probes need a handful; the open-file bound counts this many (DescriptorBound).
            kestrel.Limits.MaxConcurrentConnections = DescriptorBound.HttpConnectionAllowance;
            kestrel.Listen(endpoint);
        });
        web.ConfigureServices(services =>
        {
            services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("actor-echo"))
                .WithMetrics(metrics => metrics.AddMeter(EchoMetrics.MeterName).AddPrometheusExporter());
            services.AddRoutingCore();
            // The status page's samples; its start also creates the metrics' series at zero (MetricSeries).
            services.AddSingleton(provider => new StatusSampler(echo, provider));
            services.AddHostedService(provider => provider.GetRequiredService<StatusSampler>());
            services.AddSingleton(provider => new StatusBoard(echo, provider.GetRequiredService<StatusSampler>(), provider));
            services.AddHealthChecks()
                .AddCheck(ReadyPath, () => Check(readiness.IsReady, readiness.Current), tags: [ReadyPath])
                .AddCheck(LivePath, () => Check(readiness.IsLive, readiness.Current), tags: [LivePath]);
        });
        web.Configure(app =>
        {
            app.UseRouting();
            app.UseEndpoints(endpoints =>
            {
                endpoints.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(ReadOnly); // the host's MeterProvider
                endpoints.MapHealthChecks(ReadyPath, Options(ReadyPath, echo)).WithMetadata(ReadOnly);
                endpoints.MapHealthChecks(LivePath, Options(LivePath)).WithMetadata(ReadOnly);
                ConnectionsEndpoint.Map(endpoints, ReadOnly);
                endpoints.Map(StatusPagePath, StatusPage.WriteAsync).WithMetadata(ReadOnly);
                endpoints.Map(StatusJsonPath, WriteStatusAsync).WithMetadata(ReadOnly);
            });
        });
    }

    /// <summary>Every path only reads: anything but GET and HEAD is 405.</summary>
    private static readonly HttpMethodMetadata ReadOnly = new([HttpMethods.Get, HttpMethods.Head]);

    private static async Task WriteStatusAsync(HttpContext context)
    {
        var body = new ArrayBufferWriter<byte>(16 * 1024);
        await context.RequestServices.GetRequiredService<StatusBoard>().WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.WrittenCount;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Where Kestrel listens, with the real port when the configured one was 0.</summary>
    public static Uri Address(IServiceProvider services) =>
        new(services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Kestrel's failure to listen as the one line the user gets.</summary>
    public static BindFailedException BindFailed(Uri url, Exception e) =>
        new($"cannot serve HTTP on {Format(new IPEndPoint(HostAddress(url), url.Port))}: {Reason(e)}");

    /// <summary>Whether <paramref name="e"/> is Kestrel failing to listen (in use, not a local address).</summary>
    public static bool IsBindFailure(Exception e) => e is IOException or SocketException;

    private static HealthCheckResult Check(bool ok, ServerReadiness.Stage stage) =>
        ok ? HealthCheckResult.Healthy("ok") : HealthCheckResult.Unhealthy(Describe(stage));

    /// <summary>One check per path; the body is the check's one word ("ok", "starting", "shutting down").</summary>
    /// <summary>The header on <c>/ready</c> that says how many connections each listener serves at most now:
    /// max-connections, or less where the open-file limit cannot hold it (<c>tcp=9844, tls=9844</c>).</summary>
    public const string MaxConnectionsHeader = "Actor-Echo-Max-Connections";

    /// <summary>One check per path; the body is the check's one word ("ok", "starting", "shutting down"). With
    /// <paramref name="echo"/> (<c>/ready</c>), also the connection limits in force (<see cref="MaxConnectionsHeader"/>).</summary>
    private static HealthCheckOptions Options(string path, EchoHostContext? echo = null) => new()
    {
        Predicate = check => check.Tags.Contains(path),
        ResponseWriter = (context, report) =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            if (echo?.ConnectionLimits is { } limits)
                context.Response.Headers[MaxConnectionsHeader] = limits;
            return context.Response.WriteAsync($"{report.Entries[path].Description}\n");
        },
    };

    private static string Describe(ServerReadiness.Stage stage) => stage switch
    {
        ServerReadiness.Stage.Starting or ServerReadiness.Stage.Binding => "starting",
        ServerReadiness.Stage.Serving => "serving",
        ServerReadiness.Stage.ShuttingDown => "shutting down",
        _ => "stopped",
    };

    /// <summary>An IP literal, or <c>localhost</c> meaning 127.0.0.1 (one address, so that port 0 is allowed and
    /// the real port can be reported).</summary>
    private static IPAddress HostAddress(Uri url) =>
        url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 ? IPAddress.Parse(url.Host.Trim('[', ']'))
        : string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : throw new SettingsException($"{EchoSettings.SectionName}.http-endpoint: the host must be an IP address or 'localhost', got '{url.Host}'");

    private static string Format(IPEndPoint endpoint) => $"http://{EndpointParser.Format(endpoint)}";

    /// <summary>Kestrel wraps the socket error ("Address already in use") in its own sentence, which also names the
    /// address; the socket error alone reads best after ours.</summary>
    private static string Reason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException socket)
                return OneLine.Of(socket.Message);
        return OneLine.Of(e.Message);
    }
}

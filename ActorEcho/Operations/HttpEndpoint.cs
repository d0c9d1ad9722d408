using System.Net;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Hosting;
using ActorEcho.Networking;
using ActorEcho.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ActorEcho.Operations;

/// <summary>
/// The optional HTTP endpoint (<c>actor-echo.http-endpoint</c>) for balancers, orchestrators and Prometheus,
/// served by Kestrel (ASP.NET Core's minimal hosting, no configuration sources and no logging of its own):
/// <list type="bullet">
/// <item><c>GET /metrics</c>: the <see cref="EchoMetrics.MeterName"/> meter in Prometheus' text format
/// (OpenTelemetry's ASP.NET Core exporter);</item>
/// <item><c>GET /ready</c>: 200 while the server is bound and not shutting down, 503 otherwise (lame duck and
/// drain included) — what HAProxy's <c>option httpchk</c> and a Kubernetes readiness probe ask;</item>
/// <item><c>GET /live</c>: 200 while the actor system runs, 503 otherwise — a liveness probe.</item>
/// </list>
/// It has no authentication: keep it on loopback or a private network.
/// </summary>
public sealed class HttpEndpoint : IAsyncDisposable
{
    public const string MetricsPath = "/metrics";
    public const string ReadyPath = "/ready";
    public const string LivePath = "/live";

    /// <summary>How long stopping waits for requests in flight; health checks and scrapes are short.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    private readonly WebApplication _app;
    private readonly MeterProvider _metrics;

    private HttpEndpoint(WebApplication app, MeterProvider metrics, Uri address)
    {
        _app = app;
        _metrics = metrics;
        Address = address;
    }

    /// <summary>Where the endpoint listens, with the real port when the configured one was 0.</summary>
    public Uri Address { get; }

    /// <summary>Starts serving at <paramref name="url"/> (scheme, host and port are used).</summary>
    /// <exception cref="BindFailedException">Kestrel could not listen there (in use, not a local address).</exception>
    public static async Task<HttpEndpoint> StartAsync(Uri url, ServerReadiness readiness)
    {
        var endpoint = new IPEndPoint(HostAddress(url), url.Port);
        var metrics = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService("actor-echo"))
            .AddMeter(EchoMetrics.MeterName)
            .AddPrometheusExporter()
            .Build();

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "ActorEcho" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint);
        });
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = StopTimeout);
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint(MetricsPath, metrics, configureBranchedPipeline: null, optionsName: null);
        app.MapMethods(ReadyPath, [HttpMethods.Get, HttpMethods.Head], context => Answer(context, readiness.IsReady, readiness.Current));
        app.MapMethods(LivePath, [HttpMethods.Get, HttpMethods.Head], context => Answer(context, readiness.IsLive, readiness.Current));

        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            metrics.Dispose();
            throw new BindFailedException($"cannot serve HTTP on {Format(endpoint)}: {Reason(e)}");
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return new HttpEndpoint(app, metrics, bound is null ? new Uri(Format(endpoint)) : new Uri(bound));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _metrics.Dispose();
        }
    }

    private static Task Answer(HttpContext context, bool ok, ServerReadiness.Stage stage)
    {
        var response = context.Response;
        response.StatusCode = ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        return response.WriteAsync(ok ? "ok\n" : $"{Describe(stage)}\n");
    }

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

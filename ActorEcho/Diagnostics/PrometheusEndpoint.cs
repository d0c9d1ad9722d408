using ActorEcho.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ActorEcho.Diagnostics;

/// <summary>
/// The optional Prometheus scrape endpoint (<c>actor-echo.metrics.prometheus-endpoint</c>): an OpenTelemetry
/// meter provider that collects the <see cref="EchoMetrics.MeterName"/> meter and serves it over an
/// <see cref="System.Net.HttpListener"/>.
/// </summary>
public static class PrometheusEndpoint
{
    /// <summary>Scrape path used when the configured URL has none.</summary>
    public const string DefaultPath = "/metrics";

    /// <summary>Starts serving <see cref="EchoMetrics"/> at <paramref name="url"/>; dispose the result to stop.</summary>
    /// <exception cref="BindFailedException">the HTTP listener could not start (address in use, not local).</exception>
    public static MeterProvider Start(Uri url)
    {
        var path = url.AbsolutePath is "" or "/" ? DefaultPath : url.AbsolutePath.TrimEnd('/');
        try
        {
            return Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(resource => resource.AddService("actor-echo"))
                .AddMeter(EchoMetrics.MeterName)
                .AddPrometheusHttpListener(options =>
                {
                    options.Host = url.Host;
                    options.Port = url.Port;
                    options.ScrapeEndpointPath = path;
                })
                .Build();
        }
        catch (Exception e) when (e is System.Net.HttpListenerException or InvalidOperationException or ArgumentException)
        {
            throw new BindFailedException($"cannot serve metrics on http://{url.Authority}{path}: {e.Message}");
        }
    }
}

using System.Reflection;
using ActorEcho.Diagnostics;
using ActorEcho.Edge;
using ActorEcho.TcpEcho;
using ActorEcho.UdpEcho;

namespace ActorEcho.Hosting;

/// <summary>
/// Creates, at zero, every series the Grafana dashboard (<c>deploy/grafana/actor-echo.json</c>) reads, once the HTTP
/// endpoint's exporter listens: a series should exist before its first event (Prometheus' advice), or a rate over it
/// misses that event and a panel says "No data" where the truth is 0. Only for what is on: the TLS listener's and the
/// UDP echo's series when they serve. Also points <c>actorecho.bytes.buffered.limit</c> at this server's budget.
/// </summary>
public static class MetricSeries
{
    private const string ListenerKey = "listener";
    private const string ReasonKey = "reason";

    /// <summary>The <c>result</c> tag of <see cref="EchoMetrics.Reloads"/>.</summary>
    public static readonly IReadOnlyList<string> ReloadResults = ["ok", "rejected"];

    /// <summary>Every <see cref="Refusal"/> (its constants, read once, so that a new one is counted here too).</summary>
    public static readonly IReadOnlyList<string> RefusalReasons = Constants(typeof(Refusal));

    /// <summary>Every <see cref="EchoMetrics.HandshakeFailures"/> reason.</summary>
    public static readonly IReadOnlyList<string> HandshakeFailureReasons = Constants(typeof(EchoMetrics.HandshakeFailures));

    /// <summary>Adds zero to each series; the exporter (the host's MeterProvider) must already listen.</summary>
    public static void Initialise(EchoHostContext echo)
    {
        var budget = echo.Budget;
        EchoMetrics.BufferedBytesLimit = () => budget.LimitBytes;
        EchoMetrics.BytesBuffered.Add(0);
        EchoMetrics.ConnectionsPausedByBudget.Add(0);
        EchoMetrics.ReadsSuspended.Add(0);
        foreach (var result in ReloadResults)
            EchoMetrics.Reloads.Add(0, new KeyValuePair<string, object?>("result", result));

        List<string> listeners = [ConnectionKind.PlainEcho.ListenerName];
        if (echo.Settings.Tls.BindAddress is not null)
        {
            listeners.Add("tls"); // TlsEchoKind's name
            EchoMetrics.TlsHandshakesCompleted.Add(0);
            foreach (var reason in HandshakeFailureReasons)
                EchoMetrics.TlsHandshakesFailed.Add(0, new KeyValuePair<string, object?>(ReasonKey, reason));
        }
        foreach (var name in listeners)
        {
            var listener = new KeyValuePair<string, object?>(ListenerKey, name);
            EchoMetrics.ConnectionsActive.Add(0, listener);
            EchoMetrics.ConnectionsAccepted.Add(0, listener);
            EchoMetrics.BytesReceived.Add(0, listener);
            EchoMetrics.BytesSent.Add(0, listener);
            foreach (var refusal in RefusalReasons)
                EchoMetrics.ConnectionsRejected.Add(0, EchoMetrics.RefusalTag(refusal), listener);
            foreach (var reason in Enum.GetValues<CloseReason>())
                EchoMetrics.ConnectionsClosed.Add(0, CloseReasonTags.Tag(reason), listener);
        }

        if (echo.Settings.Udp.BindAddress is not null)
        {
            UdpMetrics.DatagramsReceived.Add(0);
            UdpMetrics.DatagramsEchoed.Add(0);
            UdpMetrics.BytesEchoed.Add(0);
            foreach (var reason in UdpMetrics.Reasons.All)
                UdpMetrics.DatagramsDropped.Add(0, UdpMetrics.ReasonTag(reason));
        }
    }

    private static string[] Constants(Type holder) =>
        holder.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(field => field.IsLiteral && field.FieldType == typeof(string))
            .Select(field => (string)field.GetRawConstantValue()!)
            .ToArray();
}

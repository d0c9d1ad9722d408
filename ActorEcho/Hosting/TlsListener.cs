using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.TcpEcho;
using ActorEcho.Tls;
using Akka.Actor;
using Akka.Event;

namespace ActorEcho.Hosting;

/// <summary>
/// Starts the optional TLS listener (<c>actor-echo.tls</c>): a second <see cref="EchoListener"/> whose connections
/// are <see cref="EchoConnection"/>s over a <see cref="TlsTransport"/>. It shares the main listener's <see cref="EchoBudget"/> (one bound on the
/// echo bytes the server holds, which the host makes and hands to both) and has its own max-connections count, drain
/// and shutdown tasks (see akka.hocon).
/// </summary>
public static class TlsListener
{
    /// <summary>Loads the credentials, binds, and registers the drain; returns the address bound, the listener and its
    /// kind of connection (which a reload replaces), or null when TLS is off.</summary>
    /// <exception cref="SettingsException">the certificate, key or CA bundle cannot be used.</exception>
    /// <exception cref="BindFailedException">the address cannot be bound, or the bind did not answer within
    /// <see cref="ServerTimeouts.Bind"/>.</exception>
    /// <param name="budget">The server's budget, the one the main listener has.</param>
    /// <param name="connections">The server's live view, the one the main listener publishes to.</param>
    public static async Task<(IPEndPoint Endpoint, IActorRef Listener, TlsEchoKind Kind)?> StartAsync(ActorSystem system,
        EchoSettings settings, EchoBudget budget, ServerTimeouts timeouts, ConnectionTable connections)
    {
        var tls = settings.Tls;
        if (tls.BindAddress is not { } address)
            return null;
        var endpoint = await EndpointParser.ResolveAsync(address).ConfigureAwait(false);
        var credentials = TlsServerCredentials.Load(tls, EndpointParser.Split(address).Host);
        if (tls.Certificate == TlsSettings.SelfSigned)
            system.Log.Info("TLS: self-signed certificate made at start, SHA-256 fingerprint {0}", credentials.Fingerprint);
        var kind = new TlsEchoKind(credentials, tls.HandshakeTimeout);
        EchoMetrics.SetTlsCertificate(credentials.Certificate);
        var listener = system.ActorOf(EchoListener.Props(settings, endpoint, kind, budget, connections: connections), "tls-listener");
        var bound = await ListenerBind.AwaitAsync(listener, EchoProtocol.GetBindResult.Instance, timeouts.Bind,
            EndpointParser.Format(endpoint), prefix: "tls: ").ConfigureAwait(false);
        EchoServer.RegisterShutdownTasks(system, listener, timeouts, taskPrefix: "tls-");
        return (bound, listener, kind);
    }
}

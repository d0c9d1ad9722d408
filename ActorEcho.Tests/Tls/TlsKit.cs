using System.Net;
using ActorEcho.Actors;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using ActorEcho.Tls;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>The <see cref="ServerKit"/> for TLS: starts an <see cref="EchoListener"/> whose connections are
/// <see cref="TlsEchoConnection"/>s, on port 0 of the IPv4 loopback.</summary>
public abstract class TlsKit(ITestOutputHelper output) : ServerKit(output)
{
    private int _tlsListeners;

    protected async Task<(IActorRef Listener, IPEndPoint Endpoint)> StartTlsListenerAsync(EchoSettings settings,
        TlsServerCredentials? credentials = null, TimeSpan? handshakeTimeout = null)
    {
        var kind = new TlsEchoKind(credentials ?? TestCertificates.ServerCredentials(), handshakeTimeout ?? TimeSpan.FromSeconds(10));
        var listener = Sys.ActorOf(EchoListener.Props(settings, new IPEndPoint(IPAddress.Loopback, 0), kind,
            new EchoBudget(settings.MaxBufferedBytes)), $"tls-listener-{++_tlsListeners}");
        var bound = Assert.IsType<EchoListener.BindSucceeded>(await BindResultAsync(listener));
        return (listener, Assert.IsType<IPEndPoint>(bound.LocalAddress));
    }
}

using System.Net;
using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using ActorEcho.Tls;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>The <see cref="ServerKit"/> for TLS: starts an <see cref="EchoListener"/> whose connections are
/// <see cref="EchoConnection"/>s over a <see cref="TlsTransport"/>, on port 0 of the IPv4 loopback.</summary>
public abstract class TlsKit(ITestOutputHelper output) : ServerKit(output)
{
    private int _tlsListeners;

    protected async Task<(IActorRef Listener, IPEndPoint Endpoint)> StartTlsListenerAsync(EchoSettings settings,
        TlsServerCredentials? credentials = null, TimeSpan? handshakeTimeout = null)
    {
        var kind = new TlsEchoKind(credentials ?? TestCertificates.ServerCredentials(), handshakeTimeout ?? TimeSpan.FromSeconds(10));
        var listener = StartListener(settings, new IPEndPoint(IPAddress.Loopback, 0), kind, $"tls-listener-{++_tlsListeners}");
        var bound = Assert.IsType<EchoProtocol.BindSucceeded>(await BindResultAsync(listener));
        return (listener, Assert.IsType<IPEndPoint>(bound.LocalAddress));
    }

    /// <summary>Collects the INFO lines from here on (the kit logs at ERROR otherwise): the access log's among them.</summary>
    protected TestProbe CaptureInfoLines()
    {
        Sys.EventStream.SetLogLevel(LogLevel.InfoLevel);
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(Info));
        return probe;
    }

    /// <summary>The access log's line for the client at <paramref name="client"/> ("ADDR:PORT").</summary>
    protected static async Task<string> AccessLineAsync(TestProbe lines, string client)
    {
        var prefix = $"Access client={client} ";
        var line = await lines.FishForMessageAsync<Info>(info => $"{info.Message}".StartsWith(prefix, StringComparison.Ordinal), Patience);
        return $"{line.Message}";
    }
}

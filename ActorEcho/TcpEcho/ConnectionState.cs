namespace ActorEcho.TcpEcho;

/// <summary>What one open connection is doing, as the live view shows it (<see cref="ConnectionView"/>): its
/// <see cref="EchoConnection"/>'s state, with <see cref="Echoing"/> split by why reading waits. The text is the
/// member's name in kebab case (<see cref="ConnectionView.StateText"/>).</summary>
public enum ConnectionState
{
    /// <summary>PROXY protocol on: the balancer's header is being read; the client is not admitted yet.</summary>
    ProxyHeader,

    /// <summary>TLS: the handshake runs.</summary>
    Handshaking,

    /// <summary>Reading and echoing.</summary>
    Echoing,

    /// <summary>Not reading: the client has not read enough of its echo (the connection's high watermark).</summary>
    PausedByWindow,

    /// <summary>Not reading: the server holds <c>max-buffered-bytes</c> (<see cref="EchoBudget"/>).</summary>
    PausedByBudget,

    /// <summary>The server is shutting down; echoing goes on until the connection is quiet.</summary>
    Draining,

    /// <summary>Finishing its echo or waiting for its close to be confirmed.</summary>
    Closing,
}

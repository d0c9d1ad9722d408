using Akka.Actor;
using Akka.IO;

namespace ActorEcho.TcpEcho;

/// <summary>Plain TCP: every command is a Tell straight to Akka.IO, every event the connection's own.</summary>
public sealed class PlainTransport(IActorRef connection, bool keepOpenOnPeerClosed) : EchoTransport(connection)
{
    /// <summary>A direct client's half-close is finished by Akka.IO itself: in pull mode every echo write is queued
    /// before the read that finds the client's FIN, and Akka.IO closes only once its queued writes are sent, then
    /// reports <see cref="Tcp.PeerClosed"/> as the connection's end. That spares every connection a close command, its
    /// confirmation and a behaviour switch in Akka.IO. A PROXY client keeps the connection open on its FIN: the FIN may
    /// come before the client is admitted and the bytes after its header are echoed.</summary>
    public override bool KeepOpenOnPeerClosed { get; } = keepOpenOnPeerClosed;

    public override object? Translate(object message) => message;

    public override void Write(ByteString data) => Connection.Tell(Tcp.Write.Create(data, EchoProtocol.WriteAck.Instance));

    public override void ResumeReading() => Connection.Tell(Tcp.ResumeReading.Instance);

    public override void Close(Tcp.CloseCommand command, bool readPending)
    {
        Connection.Tell(command);
        if (command is Tcp.ConfirmedClose && !readPending)
            Connection.Tell(Tcp.ResumeReading.Instance);
    }
}

using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;

namespace ActorEcho.Tests.Actors.Wires;

/// <summary>Plain TCP: the client's bytes are Akka.IO's <see cref="Tcp.Received"/>, the echo its writes, one to one.</summary>
public sealed class PlainWire(TestKitBase kit) : ConnectionWire(kit)
{
    public override bool AlwaysKeepsOpen => false;

    public override async Task StartAsync(EchoSettings settings, bool keepOpen = false, Action<IActorRef>? beforeStart = null)
    {
        Handler = Kit.Sys.ActorOf(keepOpen
            ? EchoConnection.PropsKeepingOpen(Connection.Ref, Remote, settings, Unlimited)
            : EchoConnection.Props(Connection.Ref, Remote, settings, Unlimited));
        beforeStart?.Invoke(Handler);
        var register = await Connection.ExpectMsgAsync<Tcp.Register>();
        Xunit.Assert.Equal(Handler, register.Handler);
        Xunit.Assert.Equal(keepOpen, register.KeepOpenOnPeerClosed);
        Xunit.Assert.False(register.UseResumeWriting);
        await Connection.ExpectMsgAsync<Tcp.ResumeReading>();
    }

    public override Task SendAsync(byte[] data)
    {
        Tell(new Tcp.Received(ByteString.FromBytes(data)));
        return Task.CompletedTask;
    }

    public override async Task<Tcp.Write> ExpectEchoAsync(byte[] expected)
    {
        var write = await Connection.ExpectMsgAsync<Tcp.Write>();
        Xunit.Assert.Equal(expected, write.Data.ToArray());
        Xunit.Assert.Same(EchoProtocol.WriteAck.Instance, write.Ack);
        return write;
    }

    public override void AckOldest() => Tell(EchoProtocol.WriteAck.Instance);

    public override async Task ExpectReadAsync() => await Connection.ExpectMsgAsync<Tcp.ResumeReading>();

    public override async Task ExpectCloseAsync<T>() => await Connection.ExpectMsgAsync<T>();

    public override Task ExpectNothingMoreAsync() => IdentifyAsync(_ => false);
}

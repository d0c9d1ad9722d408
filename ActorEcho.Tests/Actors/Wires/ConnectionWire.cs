using System.Net;
using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;

namespace ActorEcho.Tests.Actors.Wires;

/// <summary>
/// The other side of an <see cref="EchoConnection"/> in a spec: a <see cref="TestProbe"/> standing in for Akka.IO's
/// connection actor, and the client behind it, speaking plaintext whatever the transport. Specs written against it
/// run for every transport (<see cref="PlainWire"/>, <see cref="TlsWire"/>): what a client sends, the echo it expects,
/// the acks, the reads and closes the connection asks Akka.IO for.
/// </summary>
public abstract class ConnectionWire(TestKitBase kit)
{
    protected static readonly EndPoint Remote = new IPEndPoint(IPAddress.Loopback, 40000);
    protected static readonly EndPoint Local = new IPEndPoint(IPAddress.Loopback, 2000);

    protected TestKitBase Kit { get; } = kit;

    public TestProbe Connection { get; } = kit.CreateTestProbe();

    public IActorRef Handler { get; protected set; } = ActorRefs.Nobody;

    /// <summary>Akka.IO keeps the connection open on the client's FIN for every connection of this transport.</summary>
    public abstract bool AlwaysKeepsOpen { get; }

    /// <summary>Makes the connection actor (<paramref name="beforeStart"/> gets it first), takes its registration,
    /// completes any handshake, and takes its first read request.</summary>
    /// <param name="keepOpen">A connection whose half-close the actor finishes (a PROXY client's, on plain TCP).</param>
    public abstract Task StartAsync(EchoSettings settings, bool keepOpen = false, Action<IActorRef>? beforeStart = null);

    /// <summary>The client's bytes reach the connection.</summary>
    public abstract Task SendAsync(byte[] data);

    /// <summary>The connection echoes exactly <paramref name="expected"/> in one write; returns Akka.IO's command.</summary>
    public abstract Task<Tcp.Write> ExpectEchoAsync(byte[] expected);

    /// <summary>Akka.IO acknowledges the oldest echo not yet acknowledged.</summary>
    public abstract void AckOldest();

    /// <summary>The connection asks Akka.IO for one more read.</summary>
    public abstract Task ExpectReadAsync();

    /// <summary>The connection sends <typeparamref name="T"/> (after its close_notify, over TLS, unless an abort).</summary>
    public abstract Task ExpectCloseAsync<T>() where T : Tcp.CloseCommand;

    /// <summary>The connection has asked nothing more of Akka.IO, and is alive.</summary>
    public abstract Task ExpectNothingMoreAsync();

    /// <summary>One exchange while the window is open: the client's bytes, their echo, then the next read.</summary>
    public async Task EchoRoundTripAsync(byte[] data)
    {
        await SendAsync(data);
        await ExpectEchoAsync(data);
        await ExpectReadAsync();
    }

    /// <summary>The client closed its side (FIN).</summary>
    public void PeerClosed() => Tell(Tcp.PeerClosed.Instance);

    /// <summary>What Akka.IO tells the connection.</summary>
    public void Tell(object message) => Handler.Tell(message, Connection.Ref);

    /// <summary>A stopped connection sent nothing more. The probe runs on the calling thread, so what the handler sent
    /// before its Terminated (PostStop's abort, say) is in the probe's queue already.</summary>
    public void ExpectNothingAfterStop() => Xunit.Assert.False(Connection.HasMessages);

    protected static EchoBudget Unlimited => EchoBudget.Unlimited();

    /// <summary>An Identify is handled after every message sent to the handler before it, and its answer reaches
    /// the probe after everything the handler sent before answering; <paramref name="onOther"/> takes whatever
    /// comes first (or fails).</summary>
    protected async Task IdentifyAsync(Func<object, bool> onOther)
    {
        Handler.Tell(new Identify("nothing more"), Connection.Ref);
        while (true)
        {
            var message = await Connection.ExpectMsgAsync<object>();
            if (message is ActorIdentity identity)
            {
                Xunit.Assert.Equal("nothing more", identity.MessageId);
                Xunit.Assert.Equal(Handler, identity.Subject); // alive: a stopped actor's Identify has no subject
                return;
            }
            Xunit.Assert.True(onOther(message), $"unexpected {message}");
        }
    }
}

using System.Net;
using System.Text;
using ActorEcho.Configuration;
using ActorEcho.Edge;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary>
/// The connection actor reading a PROXY header, as <see cref="EchoConnectionSpec"/> drives it: a
/// <see cref="TestProbe"/> stands in for Akka.IO's connection, the test actor for the listener (the actor's
/// parent, which it asks for admission), and time is virtual (<see cref="TestScheduler"/>) for the header timeout.
/// </summary>
public sealed class EchoConnectionProxySpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", output)
{
    private static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(5);

    private static readonly EchoSettings Settings = new()
    {
        IdleTimeout = null,
        Edge = new EdgeSettings
        {
            ProxyProtocol = ProxyProtocolMode.Any,
            TrustedSources = AddressList.Parse(["127.0.0.1"]),
            HeaderTimeout = HeaderTimeout,
        },
    };

    private static readonly IPEndPoint Balancer = new(IPAddress.Loopback, 40000);
    private static readonly IPEndPoint Local = new(IPAddress.Loopback, 2000);
    private static readonly IPEndPoint Client = new(IPAddress.Parse("203.0.113.7"), 51000);
    private const string HeaderV1 = "PROXY TCP4 203.0.113.7 192.0.2.1 51000 2000\r\n";

    [Fact]
    public async Task A_header_split_across_reads_is_never_echoed_and_the_bytes_after_it_are_once_admitted()
    {
        var (connection, handler) = await StartAsync();

        handler.Tell(Received(HeaderV1[..10]), connection.Ref);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>(); // more header, please
        handler.Tell(Received(HeaderV1[10..] + "hello"), connection.Ref);

        var request = await ExpectMsgAsync<EchoProtocol.AdmissionRequest>();
        Assert.Equal((Client, Balancer), (request.Client, request.Balancer));
        Assert.False(connection.HasMessages); // nothing echoed, nothing read, until the listener answers

        handler.Tell(EchoProtocol.AdmissionGranted.Instance, TestActor);
        var write = await connection.ExpectMsgAsync<Tcp.Write>();
        Assert.Equal("hello", write.Data.ToString());
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        handler.Tell(Received("world"), connection.Ref);
        Assert.Equal("world", (await connection.ExpectMsgAsync<Tcp.Write>()).Data.ToString());
    }

    [Fact]
    public async Task No_header_within_the_timeout_closes_without_echo()
    {
        var (connection, handler) = await StartAsync();
        Watch(handler);
        handler.Tell(Received("PROXY TCP4 203.0."), connection.Ref); // a partial header, then silence
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        Scheduler.Advance(HeaderTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(connection.HasMessages);
        Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        await connection.ExpectMsgAsync<Tcp.Close>();
        handler.Tell(Tcp.Closed.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
        Assert.False(connection.HasMessages);
    }

    [Fact]
    public async Task An_invalid_header_closes_at_once_without_echo_and_asks_nobody()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received("GET / HTTP/1.1\r\n\r\n"), connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Close>();
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_client_refused_by_the_listener_is_closed_without_echo()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(HeaderV1 + "data"), connection.Ref);
        await ExpectMsgAsync<EchoProtocol.AdmissionRequest>();
        handler.Tell(new EchoProtocol.AdmissionRefused(Refusal.PerSourceLimit), TestActor);
        await connection.ExpectMsgAsync<Tcp.Close>();
        Assert.False(connection.HasMessages);
    }

    [Fact]
    public async Task A_v2_LOCAL_header_keeps_the_sockets_address()
    {
        var (connection, handler) = await StartAsync();
        byte[] local = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00];
        handler.Tell(new Tcp.Received(ByteString.FromBytes(local)), connection.Ref);
        var request = await ExpectMsgAsync<EchoProtocol.AdmissionRequest>();
        Assert.Equal(Balancer, request.Client);
    }

    [Fact]
    public async Task The_drain_timeout_before_admission_closes_without_echo()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(EchoProtocol.Drain.Instance);
        handler.Tell(EchoProtocol.DrainTimeoutReached.Instance);
        await connection.ExpectMsgAsync<Tcp.Close>();
    }

    private async Task<(TestProbe Connection, IActorRef Handler)> StartAsync()
    {
        var connection = CreateTestProbe();
        // A child of the test actor, which thus plays the listener.
        var handler = ChildActorOf(EchoConnection.Props(connection.Ref, Balancer, Local, Settings, EchoBudget.Unlimited(), ConnectionKind.PlainEcho, expectProxyHeader: true));
        await connection.ExpectMsgAsync<Tcp.Register>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        return (connection, handler);
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private static Tcp.Received Received(string text) => new(ByteString.FromBytes(Encoding.ASCII.GetBytes(text)));
}

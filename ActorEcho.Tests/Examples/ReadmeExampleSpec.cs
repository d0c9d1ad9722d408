using System.Net.Sockets;
using System.Net;
using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace ActorEcho.Tests.Examples;

// The example spec shown in README.md ("Test it with TestKit"), kept here so that it always compiles and passes.
public sealed class ReadmeExampleSpec() : TestKit(ConfigLoader.Defaults)
{
    [Fact]
    public async Task Echoes_what_a_client_sends()
    {
        // Port 0: the OS picks a free port; the listener reports it once bound.
        var settings = EchoSettings.Create(ConfigLoader.Defaults);
        var listener = Sys.ActorOf(EchoListener.Props(settings, new IPEndPoint(IPAddress.Loopback, 0)));
        var bound = await listener.Ask<EchoProtocol.BindSucceeded>(EchoProtocol.GetBindResult.Instance, TimeSpan.FromSeconds(5));

        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)bound.LocalAddress);
        var stream = client.GetStream();
        await stream.WriteAsync("hello\n"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send); // half-close: the server echoes everything, then closes

        var reply = new MemoryStream();
        await stream.CopyToAsync(reply).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("hello\n"u8.ToArray(), reply.ToArray());
    }
}

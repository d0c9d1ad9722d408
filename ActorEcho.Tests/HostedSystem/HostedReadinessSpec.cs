using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;

namespace ActorEcho.Hosting.Tests;

/// <summary><c>/ready</c> and <c>/live</c>, the ASP.NET Core health checks on Kestrel in the hosted system, follow
/// the server: both 200 while it serves; once shutdown begins, <c>/ready</c> 503 while <c>/live</c> stays 200 and
/// the listener still serves through the lame duck.</summary>
public sealed class HostedReadinessSpec() : EchoHostSpec("""
    actor-echo {
      http-endpoint = "http://127.0.0.1:0"
      # Holds the shutdown in its first phase while the spec looks at it (with room for a loaded machine); the
      # spec waits for it to end, not for a time of its own.
      lame-duck = 5s
    }
    """)
{
    [Fact]
    public async Task Ready_turns_503_at_shutdown_while_live_stays_200_and_the_listener_still_echoes()
    {
        using var http = new HttpClient { BaseAddress = Echo.HttpAddress, Timeout = Bound };
        await AssertAnswer(http, "/ready", HttpStatusCode.OK, "ok");
        await AssertAnswer(http, "/live", HttpStatusCode.OK, "ok");

        var shutdown = CoordinatedShutdown.Get(Sys).Run(EchoServer.ServerStopReason.Instance);
        await Echo.Readiness.ShutdownStarted.WaitAsync(Bound, TestContext.Current.CancellationToken);

        await AssertAnswer(http, "/ready", HttpStatusCode.ServiceUnavailable, "shutting down");
        await AssertAnswer(http, "/live", HttpStatusCode.OK, "ok");
        // The lame duck: not ready, yet a new client is still accepted and served.
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(Echo.LocalEndpoint, Timeout());
            var sent = Encoding.ASCII.GetBytes("during the lame duck\n");
            await client.SendAsync(sent, SocketFlags.None, Timeout());
            Assert.Equal(sent, await HostedClient.ReadExactlyAsync(client, sent.Length, Timeout()));
        }

        await shutdown.WaitAsync(Bound, TestContext.Current.CancellationToken);
        await Sys.WhenTerminated.WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.False(Echo.Readiness.IsLive);
    }

    private static async Task AssertAnswer(HttpClient http, string path, HttpStatusCode status, string body)
    {
        using var response = await http.GetAsync(path, Timeout());
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(body + "\n", await response.Content.ReadAsStringAsync(Timeout()));
    }
}

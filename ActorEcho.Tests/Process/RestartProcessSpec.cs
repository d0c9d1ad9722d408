using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Process;

/// <summary>A crash and a restart in place: the host killed with SIGKILL (no drain, no cleanup) while clients are
/// connected, then started again on the same port at once, as a supervisor (systemd's Restart=, Kubernetes) does.</summary>
public sealed class RestartProcessSpec
{
    private const int SigKill = 9;

    [Fact]
    public async Task After_kill_9_with_clients_connected_a_new_server_binds_the_same_port_at_once_and_serves()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(90));
        var clients = new List<LoopbackClient>();
        try
        {
            await using var first = await HostProcess.StartServerAsync("127.0.0.1:0");
            var endpoint = await first.WaitListeningAsync(TimeSpan.FromSeconds(5));
            for (var i = 0; i < 10; i++)
            {
                clients.Add(await LoopbackClient.ConnectAsync(endpoint, ct));
                await clients[^1].AssertEchoesAsync(seed: i, ct);
            }

            first.Signal(SigKill);
            Assert.NotEqual(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            // The kernel closed the dead server's sockets: each client reads the FIN. The clients stay open, so the
            // server's side of each connection lingers on the port (FIN_WAIT): the bind must not mind them.
            foreach (var client in clients)
                Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));

            // StartServerAsync fails unless the host prints its Listening line: no retry, no wait for the port.
            await using var second = await HostProcess.StartServerAsync($"127.0.0.1:{endpoint.Port}");
            Assert.Equal(endpoint, await second.WaitListeningAsync(TimeSpan.FromSeconds(5)));
            await LoopbackClient.AssertServesAFreshClientAsync(endpoint, ct);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }
}

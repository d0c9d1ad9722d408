using System.Net.Sockets;
using ActorEcho.Actors;
using ActorEcho.Tests.Support;
using Akka;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>
/// The listener's graceful shutdown: stop accepting, let every connection echo what it received and close with
/// FIN, then release the listening socket. One client is held up by backpressure when the drain starts, observed
/// on the process-wide <c>reads.suspended</c> counter: hence the isolated collection.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class DrainSpec(ITestOutputHelper output) : ServerKit(output)
{
    [Fact]
    public async Task Drain_echoes_what_was_received_closes_every_client_with_fin_and_then_reports_done()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var metrics = new MetricsCapture();
        var (listener, endpoint) = await StartListenerAsync(BackpressureSettings());

        // Two quiet clients whose echo is complete, and one whose echo is held up when the drain starts: it
        // sends without reading until backpressure stops it, so the server is paused with writes unacked.
        using var quiet1 = await LoopbackClient.ConnectAsync(endpoint, ct);
        using var quiet2 = await LoopbackClient.ConnectAsync(endpoint, ct);
        using var streaming = await LoopbackClient.ConnectAsync(endpoint, ct, FixedSocketBuffer, FixedSocketBuffer);
        await AssertEchoAsync(quiet1, seed: 1, ct);
        await AssertEchoAsync(quiet2, seed: 2, ct);
        await AssertEchoAsync(streaming, seed: 3, ct);
        var stream = LoopbackClient.RandomBytes(4 * 1024 * 1024, seed: 4);
        var streamSending = streaming.SendAsync(stream, ct);
        await metrics.WaitUntilAsync(m => m.ReadsSuspended >= 1, Patience, "the server paused reading");
        Assert.False(streamSending.IsCompleted, "the streaming client was never held up");

        Assert.Equal(Done.Instance, await listener.Ask<Done>(EchoListener.StopAccepting.Instance, Patience));

        // A client arriving now is not served: it is turned away, or left in the backlog unanswered.
        using (var late = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            await late.SendAsync(new byte[] { 42 }, ct);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                Assert.Empty(await late.ReceiveToEndAsync(wait.Token));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Never accepted: equally unserved.
            }
        }

        var drained = listener.Ask<Done>(EchoListener.DrainConnections.Instance, TimeSpan.FromSeconds(10));

        // Each client sees a FIN (no reset) after its echo; the quiet ones had all theirs already, the
        // streaming one gets what the server had read, in order, once it reads again.
        Assert.Empty(await quiet1.ReceiveToEndAsync(ct));
        Assert.Empty(await quiet2.ReceiveToEndAsync(ct));
        var streamed = await streaming.ReceiveToEndAsync(ct);
        Output?.WriteLine($"{streamed.Length} of {stream.Length} streamed bytes were echoed before the FIN");
        Assert.NotEmpty(streamed);
        Assert.True(stream.AsSpan().StartsWith(streamed),
            $"the {streamed.Length} bytes echoed during the drain are not a prefix of what was sent");
        await streamSending; // what the server no longer echoes it still reads, so the send completes

        // The server half-closed; the clients' own close completes the drain.
        quiet1.Socket.Close();
        quiet2.Socket.Close();
        streaming.Socket.Close();
        Assert.Equal(Done.Instance, await drained);
        var stats = await StatsAsync(listener);
        Assert.Equal(0, stats.Active);
        Assert.Equal(3, stats.Accepted);

        // Done means the listening socket is released too: the port is free for a new server.
        using var successor = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        successor.Bind(endpoint);
    }
}

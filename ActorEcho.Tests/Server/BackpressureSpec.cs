using System.Runtime.CompilerServices;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>
/// A client that stops reading its echo stops being read from: the server pauses reading at its high watermark
/// instead of buffering without bound. The pause is observed on the server's own <c>reads.suspended</c> counter,
/// which is process-wide: hence the isolated collection.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class BackpressureSpec(ITestOutputHelper output) : ServerKit(output)
{
    [Fact]
    public async Task A_client_that_stops_reading_is_pushed_back_and_later_gets_every_byte()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var metrics = new MetricsCapture();
        var (listener, endpoint) = await StartListenerAsync(BackpressureSettings());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct, FixedSocketBuffer, FixedSocketBuffer);
        var data = LoopbackClient.RandomBytes(8 * 1024 * 1024, seed: 7);

        var sent = new StrongBox<long>();
        var sending = client.SendAsync(data, ct, sent);
        await metrics.WaitUntilAsync(m => m.ReadsSuspended >= 1, Patience, "the server paused reading");
        var sentAtPause = Interlocked.Read(ref sent.Value);
        Output?.WriteLine($"the server paused reading after the client had sent {sentAtPause} of {data.Length} bytes");

        // If the server kept reading without bound, all 8 MB would have been accepted. What the kernel buffers
        // hold plus the high watermark and a frame is a few hundred KiB here; 2 MB leaves a wide margin.
        Assert.False(sending.IsCompleted, "the client sent everything although it read nothing");
        Assert.True(sentAtPause < 2 * 1024 * 1024, $"the server accepted {sentAtPause} bytes from a client that read nothing");
        Assert.Equal(1, (await StatsAsync(listener)).Active);

        // Reading again releases the backpressure: the rest is sent and every byte comes back in order.
        var reading = client.ReceiveExactlyAsync(data.Length, ct);
        await sending;
        var echoed = await reading;
        Assert.True(data.AsSpan().SequenceEqual(echoed), "the echo differs from what was sent");
        client.ShutdownSend();
        Assert.Empty(await client.ReceiveToEndAsync(ct));
    }
}

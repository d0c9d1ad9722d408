using System.Net.Sockets;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>The extremes of a client's write size: thousands of 1-byte writes, and one write of 64 MiB, each
/// echoed exactly and in order.</summary>
public sealed class WriteSizeSpec(ITestOutputHelper output) : ServerKit(output)
{
    [Fact]
    public async Task Ten_thousand_1_byte_writes_come_back_exactly_and_in_order()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var (_, endpoint) = await StartListenerAsync(Settings());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct); // NoDelay: each write its own segment
        var data = LoopbackClient.RandomBytes(10_000, seed: 1);

        var reading = client.ReceiveExactlyAsync(data.Length, ct);
        for (var i = 0; i < data.Length; i++)
            await client.SendAsync(data.AsMemory(i, 1), ct);

        Assert.Equal(data, await reading);
        client.ShutdownSend();
        Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
    }

    [Fact]
    public async Task One_64_MiB_write_comes_back_whole_and_in_order()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var (_, endpoint) = await StartListenerAsync(Settings());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var data = LoopbackClient.RandomBytes(64 * 1024 * 1024, seed: 64);

        var reading = client.ReceiveExactlyAsync(data.Length, ct);
        // One send call for all of it (LoopbackClient.SendAsync would cut it into 64 KiB calls).
        var sent = await client.Socket.SendAsync(data, SocketFlags.None, ct);
        Output?.WriteLine($"one send call took {sent} bytes");
        if (sent < data.Length)
            await client.SendAsync(data.AsMemory(sent), ct);

        var echo = await reading;
        Assert.True(data.AsSpan().SequenceEqual(echo), "the echo differs from the 64 MiB sent");
        client.ShutdownSend();
        Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
    }
}

using Xunit.Abstractions;

namespace ActorEcho.Tests.Hardening;

/// <summary>Whatever the bytes and however they are cut, the echo is the same bytes, then the server's FIN.</summary>
public sealed class BinaryEchoSpec(ITestOutputHelper output) : HardeningKit(output)
{
    [Fact]
    public async Task Every_byte_value_is_echoed_exactly()
    {
        var ct = Deadline(TimeSpan.FromSeconds(20));
        var (_, endpoint) = await StartListenerAsync(Settings());

        // Ascending, descending, and runs of each value: no byte is special (NUL, CR, LF, 0xFF, ...).
        var ascending = Enumerable.Range(0, 256 * 64).Select(i => (byte)i).ToArray();
        var descending = ascending.Select(b => (byte)(255 - b)).ToArray();
        var runs = Enumerable.Range(0, 256).SelectMany(v => Enumerable.Repeat((byte)v, 1024)).ToArray();

        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        foreach (var data in new[] { ascending, descending, runs })
            Assert.Equal(data, await client.EchoAsync(data, ct));
        client.ShutdownSend();
        Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
    }

    [Fact]
    public async Task Random_garbage_in_random_sized_writes_is_echoed_exactly()
    {
        var ct = Deadline(TimeSpan.FromSeconds(20));
        var (_, endpoint) = await StartListenerAsync(Settings());
        var data = LoopbackClient.RandomBytes(4 * 1024 * 1024, seed: 42);

        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var receive = client.ReceiveExactlyAsync(data.Length, ct);
        var cuts = new Random(43);
        for (var offset = 0; offset < data.Length;)
        {
            var length = Math.Min(cuts.Next(1, 65_536), data.Length - offset);
            await client.SendAsync(data.AsMemory(offset, length), ct);
            offset += length;
        }
        Assert.Equal(data, await receive);
    }

    [Fact]
    public async Task Large_bursts_from_several_clients_at_once_are_echoed_exactly_then_closed()
    {
        var ct = Deadline(TimeSpan.FromSeconds(40));
        var (listener, endpoint) = await StartListenerAsync(Settings());
        const int Clients = 4;
        const int BurstSize = 8 * 1024 * 1024;

        await Task.WhenAll(Enumerable.Range(1, Clients).Select(seed => Task.Run(async () =>
        {
            using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
            var data = LoopbackClient.RandomBytes(BurstSize, seed);
            // All of it in one send, then FIN: the server must echo every byte before its own FIN.
            var receive = client.ReceiveExactlyAsync(data.Length, ct);
            await client.SendAsync(data, ct);
            client.ShutdownSend();
            var echo = await receive;
            Assert.True(data.AsSpan().SequenceEqual(echo), $"client {seed}: echo differs");
            Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
        }, ct)));

        await AwaitStatsAsync(listener, stats => Assert.Equal(new(0, Clients, 0, Clients), stats));
    }
}

using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>Whatever the bytes and however they are cut, the echo is the same bytes, then the server's FIN.</summary>
public sealed class EchoSpec(ITestOutputHelper output) : ServerKit(output)
{
    [Fact]
    public async Task Every_byte_value_is_echoed_exactly()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
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
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
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
        var ct = Deadline.After(TimeSpan.FromSeconds(40));
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

    [Fact]
    public async Task Fifty_concurrent_clients_each_get_exactly_their_own_bytes_back()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartListenerAsync(Settings());

        await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
            var data = LoopbackClient.RandomBytes(16 * 1024 + i, seed: i);
            var echoed = await client.EchoWithHalfCloseAsync(data, ct);
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"client {i} got {echoed.Length} bytes that differ from its {data.Length}");
        }));

        await AwaitStatsAsync(listener, stats =>
            Assert.Equal(new(Active: 0, Accepted: 50, Rejected: 0, Closed: 50), stats));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64 * 1024)]
    [InlineData(3 * 1024 * 1024 + 7)]
    public async Task A_half_closed_client_gets_every_byte_in_order_then_eof(int length)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
        var (_, endpoint) = await StartListenerAsync(Settings());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var data = LoopbackClient.RandomBytes(length, seed: length);

        var echoed = await client.EchoWithHalfCloseAsync(data, ct);

        Assert.Equal(data.Length, echoed.Length);
        Assert.True(data.AsSpan().SequenceEqual(echoed), "the echo differs from what was sent");
    }

    [Fact]
    public async Task A_half_closed_100_MB_transfer_comes_back_whole_and_in_order()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var (_, endpoint) = await StartListenerAsync(Settings());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        const long total = 100L * 1000 * 1000;
        // A pattern of odd length sent over and over: a dropped, repeated or reordered chunk shifts the bytes
        // against it, so checking by position finds any of them without holding 100 MB twice.
        var pattern = LoopbackClient.RandomBytes(1024 * 1024 + 7, seed: 100_000);

        var sending = Task.Run(async () =>
        {
            for (long position = 0; position < total;)
            {
                var offset = (int)(position % pattern.Length);
                var length = (int)Math.Min(pattern.Length - offset, total - position);
                await client.SendAsync(pattern.AsMemory(offset, length), ct);
                position += length;
            }
            client.ShutdownSend();
        }, ct);

        var buffer = new byte[256 * 1024];
        long received = 0;
        int read;
        while ((read = await client.Socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, ct)) > 0)
        {
            for (var i = 0; i < read; i++)
                if (buffer[i] != pattern[(received + i) % pattern.Length])
                    Assert.Fail($"the echo differs from what was sent at byte {received + i}");
            received += read;
        }
        await sending;
        Assert.Equal(total, received);
    }
}

using ActorEcho.Tests.Support;

namespace ActorEcho.Models.Tests;

/// <summary>Every model echoes a client's bytes exactly, up to the client's half-close, then closes.</summary>
public sealed class HalfCloseEchoSpec
{
    public static TheoryData<string, int> Clients()
    {
        var data = new TheoryData<string, int>();
        foreach (var model in RunningModel.Concurrent)
        {
            data.Add(model, 100);
            data.Add(model, 48 * 1024);
        }
        data.Add(RunningModel.OneAtATime, 100);
        return data;
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Echoes_every_byte_to_a_client_that_half_closes(string model, int size)
    {
        await using var server = await RunningModel.StartAsync(model);
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
        using var client = await LoopbackClient.ConnectAsync(server.Endpoint, ct);
        var data = LoopbackClient.RandomBytes(size, seed: size);

        var (_, echo) = await client.EchoUntilClosedAsync(data, ct);

        Assert.Equal(data, echo);
    }

    /// <summary>By design: one read of at most 160 bytes, its echo, and close. The rest of a longer message is
    /// never read, so the close is a reset, and the client gets the first read's bytes only.</summary>
    [Fact]
    public async Task OneAtATime_echoes_only_its_one_read_of_a_longer_message()
    {
        await using var server = await RunningModel.StartAsync(RunningModel.OneAtATime);
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
        using var client = await LoopbackClient.ConnectAsync(server.Endpoint, ct);
        var data = LoopbackClient.RandomBytes(8 * 1024, seed: 8);

        var (_, echo) = await client.EchoUntilClosedAsync(data, ct);

        Assert.InRange(echo.Length, 1, global::ActorEcho.Models.OneAtATimeServer.ReadSize);
        Assert.Equal(data.AsSpan(0, echo.Length).ToArray(), echo);
    }
}

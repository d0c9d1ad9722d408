using System.Net.Sockets;
using ActorEcho.Tests.Support;

namespace ActorEcho.Models.Tests;

/// <summary>A client that connects and sends nothing: the one-at-a-time server waits on it and serves nobody
/// else; every other model serves the next client at once.</summary>
public sealed class SilentClientSpec
{
    public static TheoryData<string> ConcurrentModels() => new(RunningModel.Concurrent);

    [Theory]
    [MemberData(nameof(ConcurrentModels))]
    public async Task A_silent_client_does_not_hold_up_another(string model)
    {
        await using var server = await RunningModel.StartAsync(model);
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
        using var silent = await LoopbackClient.ConnectAsync(server.Endpoint, ct);

        await LoopbackClient.AssertServesAFreshClientAsync(server.Endpoint, ct);
    }

    [Fact]
    public async Task OneAtATime_serves_nobody_else_while_a_silent_client_is_connected()
    {
        await using var server = await RunningModel.StartAsync(RunningModel.OneAtATime);
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
        using var silent = await LoopbackClient.ConnectAsync(server.Endpoint, ct);
        // The server has accepted the silent client and is now blocked reading it.
        var silentAddress = silent.Socket.LocalEndPoint!.ToString();
        await server.Log.WaitForLineAsync(line => line == $"Accepting connection from {silentAddress}", ct);

        using var second = await LoopbackClient.ConnectAsync(server.Endpoint, ct);
        var message = LoopbackClient.RandomBytes(64, seed: 2);
        await second.SendAsync(message, ct);

        // The second client is connected (the kernel completed its handshake into the accept queue) but unserved.
        Assert.False(second.Socket.Poll(TimeSpan.FromSeconds(1), SelectMode.SelectRead), "the echo arrived while the silent client was connected");
        Assert.DoesNotContain(server.Log.Lines, line => line == $"Accepting connection from {second.Socket.LocalEndPoint}");

        // The silent client leaves: the server's read returns, it closes, and accepts the second client.
        silent.Socket.Close();
        Assert.Equal(message, await second.ReceiveExactlyAsync(message.Length, ct));
    }
}

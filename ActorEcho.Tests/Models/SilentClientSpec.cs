using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Tests.Models;

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
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var silent = await ModelClient.ConnectAsync(server.Endpoint, deadline.Token);

        await ModelClient.AssertServesAnotherClientAsync(server.Endpoint, deadline.Token);
    }

    [Fact]
    public async Task OneAtATime_serves_nobody_else_while_a_silent_client_is_connected()
    {
        await using var server = await RunningModel.StartAsync(RunningModel.OneAtATime);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var silent = await ModelClient.ConnectAsync(server.Endpoint, deadline.Token);
        // The server has accepted the silent client and is now blocked reading it.
        var silentAddress = silent.LocalEndPoint!.ToString();
        await server.Log.WaitForLineAsync(line => line == $"Accepting connection from {silentAddress}", deadline.Token);

        using var second = await ModelClient.ConnectAsync(server.Endpoint, deadline.Token);
        var message = ModelClient.Bytes(64, seed: 2);
        await second.SendAsync(message, SocketFlags.None, deadline.Token);

        // The second client is connected (the kernel completed its handshake into the accept queue) but unserved.
        Assert.False(second.Poll(TimeSpan.FromSeconds(1), SelectMode.SelectRead), "the echo arrived while the silent client was connected");
        Assert.DoesNotContain(server.Log.Lines, line => line == $"Accepting connection from {second.LocalEndPoint}");

        // The silent client leaves: the server's read returns, it closes, and accepts the second client.
        silent.Close();
        Assert.Equal(message, await ModelClient.ReadExactlyAsync(second, message.Length, deadline.Token));
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Models;

/// <summary>
/// An async accept loop over System.Net.Sockets, one task and one 64 KiB buffer per connection,
/// ReceiveAsync/SendAsync. The code reads like the thread-per-connection model, but an awaiting task holds no
/// thread: .NET's socket engine (an epoll loop on Linux) resumes it on the thread pool when its socket is ready.
/// </summary>
public sealed class AsyncAwaitServer : IEchoModel
{
    public const int BufferSize = 64 * 1024;

    private readonly Socket _listener;
    private readonly TextWriter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _clients = new();
    private Task _accepting = Task.CompletedTask;

    private AsyncAwaitServer(Socket listener, TextWriter log)
    {
        _listener = listener;
        _log = log;
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public static AsyncAwaitServer Start(IPEndPoint endpoint, TextWriter log)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endpoint);
            listener.Listen(ModelMain.Backlog);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var server = new AsyncAwaitServer(listener, log);
        server._accepting = server.AcceptLoopAsync();
        return server;
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                client.NoDelay = true;
                _log.WriteLine($"Accepting connection from {client.RemoteEndPoint}");
                _clients.TryAdd(client, 0);
                _ = EchoAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Dispose.
        }
    }

    private async Task EchoAsync(Socket client)
    {
        var buffer = new byte[BufferSize];
        try
        {
            int read;
            while ((read = await client.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0)
                await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client went away; its connection is all this task had.
        }
        finally
        {
            _clients.TryRemove(client, out _);
            client.Dispose();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _accepting.GetAwaiter().GetResult();
        _listener.Dispose();
        foreach (var client in _clients.Keys)
            client.Dispose();
        _stop.Dispose();
    }
}

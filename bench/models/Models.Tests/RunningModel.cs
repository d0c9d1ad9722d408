using System.Net;
using ActorEcho.Tests.Support;

namespace ActorEcho.Models.Tests;

/// <summary>
/// One of the lesson's server models (bench/models), or ActorEcho itself, running in the test process on a free
/// loopback port, with the lines it logs.
/// </summary>
internal sealed class RunningModel : IAsyncDisposable
{
    public const string OneAtATime = nameof(OneAtATime);
    public const string EventLoop = nameof(EventLoop);
    public const string EventLoopWritable = nameof(EventLoopWritable);
    public const string ThreadPerConnection = nameof(ThreadPerConnection);
    public const string AsyncAwait = nameof(AsyncAwait);
    public const string ActorEcho = nameof(ActorEcho);

    /// <summary>Every model that keeps a connection open until the client closes: all but OneAtATime.</summary>
    public static readonly string[] Concurrent = [EventLoop, EventLoopWritable, ThreadPerConnection, AsyncAwait, ActorEcho];

    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    private readonly Func<ValueTask> _stop;

    private RunningModel(string name, IPEndPoint endpoint, LogLines log, object server, Func<ValueTask> stop)
    {
        Name = name;
        Endpoint = endpoint;
        Log = log;
        Server = server;
        _stop = stop;
    }

    public string Name { get; }
    public IPEndPoint Endpoint { get; }

    /// <summary>What the model wrote to its log (ActorEcho logs through Akka instead: empty).</summary>
    public LogLines Log { get; }

    /// <summary>The server object itself, for model-specific counters.</summary>
    public object Server { get; }

    public static async Task<RunningModel> StartAsync(string name)
    {
        var log = new LogLines();
        switch (name)
        {
            case OneAtATime: return Wrap(OneAtATimeServer.Start(AnyLoopbackPort, log), s => s.LocalEndPoint);
            case EventLoop: return Wrap(EventLoopServer.Start(AnyLoopbackPort, log), s => s.LocalEndPoint);
            case EventLoopWritable: return Wrap(EventLoopWritableServer.Start(AnyLoopbackPort, log), s => s.LocalEndPoint);
            case ThreadPerConnection: return Wrap(ThreadPerConnectionServer.Start(AnyLoopbackPort, log), s => s.LocalEndPoint);
            case AsyncAwait: return Wrap(AsyncAwaitServer.Start(AnyLoopbackPort, log), s => s.LocalEndPoint);
            case ActorEcho:
                // The shipped settings, as the README's `dotnet run --project ActorEcho` uses them.
                var server = await InProcessEchoServer.StartAsync();
                return new RunningModel(name, server.LocalEndpoint, log, server, server.DisposeAsync);
            default:
                throw new ArgumentException($"no model {name}", nameof(name));
        }

        RunningModel Wrap<TServer>(TServer server, Func<TServer, EndPoint> endpoint) where TServer : IDisposable =>
            new(name, (IPEndPoint)endpoint(server), log, server, () =>
            {
                server.Dispose();
                return ValueTask.CompletedTask;
            });
    }

    public ValueTask DisposeAsync() => _stop();

    public override string ToString() => Name;
}

// The Akka.IO floor that bench/run.sh measures beside ActorEcho, to tell ActorEcho's own cost from Akka.IO's: a minimal
// Akka.IO echo with one trivial actor per connection, created with Props.Create<T>(args). The bind handler answers each
// Connected with Register(child); the child answers each Received with a Write. No acks, no watermarks, no timers, no
// watch, no metrics, no log, and push-mode reading: what Akka.IO itself costs per connection and per frame, under which
// ActorEcho cannot go. (Without backpressure its memory is unbounded when clients stop reading: that is the floor's
// nature, not a setting.) It runs with ActorEcho's akka.hocon (copied next to the binary) plus the same overlay, so the
// dispatcher, frame size, backlog and inline socket completions are ActorEcho's own; only the logger is Akka's, since
// ActorEcho's stderr logger lives in the ActorEcho assembly.
//
// Usage: AkkaIoFloor [ADDRESS] [--config OVERLAY.hocon]   (default 127.0.0.1:0; prints "Listening on <ip>:<port>")
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;

var address = "127.0.0.1:0";
string? overlay = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--config" && i + 1 < args.Length)
        overlay = args[++i];
    else
        address = args[i];
}
var endpoint = IPEndPoint.Parse(address);

var shipped = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "akka.hocon")));
var config = ConfigurationFactory.ParseString("akka.loggers = [\"Akka.Event.StandardOutLogger, Akka\"]")
    .WithFallback(overlay is null ? shipped : ConfigurationFactory.ParseString(File.ReadAllText(overlay)).WithFallback(shipped));

// actor-echo.inline-socket-completions, applied as ActorEcho applies it (ActorEcho/Networking/InlineSocketCompletions.cs):
// before the first socket operation, and an explicit variable in the environment wins.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (config.GetBoolean("actor-echo.inline-socket-completions", true) && Environment.GetEnvironmentVariable(InlineCompletions) is null)
    Environment.SetEnvironmentVariable(InlineCompletions, "1");

// actor-echo.backlog: a number, or `max` for the OS's largest (net.core.somaxconn on Linux), as ActorEcho reads it.
var backlogSetting = config.GetString("actor-echo.backlog", "max").Trim();
var backlog = !string.Equals(backlogSetting, "max", StringComparison.OrdinalIgnoreCase) ? int.Parse(backlogSetting)
    : File.Exists("/proc/sys/net/core/somaxconn") ? int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim())
    : int.MaxValue;

using var system = ActorSystem.Create("akka-io-floor", config);
var handler = system.ActorOf(Props.Create<FloorListener>(), "floor");
var reply = await system.Tcp().Ask<object>(new Tcp.Bind(handler, endpoint, backlog), TimeSpan.FromSeconds(10));
if (reply is not Tcp.Bound bound)
{
    await Console.Error.WriteLineAsync($"AkkaIoFloor: cannot bind {endpoint}: {reply}");
    return 1;
}
Console.WriteLine($"Listening on {bound.LocalAddress}");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
return 0;

/// <summary>The bind handler: one <see cref="FloorConnection"/> per accepted connection.</summary>
internal sealed class FloorListener : UntypedActor
{
    protected override void OnReceive(object message)
    {
        if (message is Tcp.Connected)
            Sender.Tell(new Tcp.Register(Context.ActorOf(Props.Create<FloorConnection>(Sender))));
    }
}

/// <summary>Echoes every chunk as it arrives, and stops with its connection.</summary>
internal sealed class FloorConnection(IActorRef connection) : UntypedActor
{
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                connection.Tell(Tcp.Write.Create(received.Data));
                break;
            case Tcp.ConnectionClosed:
                Context.Stop(Self);
                break;
        }
    }
}

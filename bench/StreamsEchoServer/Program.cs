// The Akka.Streams TCP echo that bench/run.sh measures beside ActorEcho and the raw echo: what an Akka.NET user
// writes with Streams instead of Akka.IO actors. Each accepted connection is joined to an identity
// Flow<ByteString>, so every received chunk goes straight back (Streams' own backpressure bounds memory).
// It runs with ActorEcho's akka.hocon (copied next to the binary), so frame size, dispatcher and backlog are the
// same; only the logger is Akka's own, since ActorEcho's stderr logger lives in the ActorEcho assembly.
//
// Usage: StreamsEchoServer [ADDRESS] [--config OVERLAY.hocon]   (default 127.0.0.1:0; prints "Listening on <ip>:<port>")
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using ByteString = Akka.IO.ByteString;
using Akka.Streams;
using Akka.Streams.Dsl;

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
// actor-echo.backlog: a number, or `max` for the OS's largest (net.core.somaxconn on Linux), as ActorEcho reads it.
var backlogSetting = config.GetString("actor-echo.backlog", "max").Trim();
var backlog = !string.Equals(backlogSetting, "max", StringComparison.OrdinalIgnoreCase) ? int.Parse(backlogSetting)
    : File.Exists("/proc/sys/net/core/somaxconn") ? int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim())
    : int.MaxValue;

using var system = ActorSystem.Create("streams-echo", config);
var materializer = system.Materializer();

// Same as ActorEcho: a connection per accepted client, echoing until the client half-closes, then closing.
var binding = await system.TcpStream()
    .Bind(endpoint.Address.ToString(), endpoint.Port, backlog: backlog, halfClose: true)
    .To(Sink.ForEach<Tcp.IncomingConnection>(connection => connection.HandleWith(Flow.Create<ByteString>(), materializer)))
    .Run(materializer);
Console.WriteLine($"Listening on {binding.LocalAddress}");

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
await binding.Unbind();

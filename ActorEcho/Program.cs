using System.CommandLine;
using ActorEcho.Cli;

var root = ServeCommand.Configure(new RootCommand(
    "ActorEcho: a TCP echo server built on Akka.NET actors. With no command it runs the server."));
root.Subcommands.Add(ServeCommand.Create());

// Signals belong to the server's graceful shutdown, not to the parser's default cancellation.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

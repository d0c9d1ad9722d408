using System.CommandLine;
using System.CommandLine.Invocation;
using ActorEcho.Cli;

var root = ServeCommand.Configure(new RootCommand(
    "ActorEcho: a TCP echo server built on Akka.NET actors. With no command it runs the server."));
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ClientCommand.Create());
root.Subcommands.Add(BenchCommand.Create());

var parsed = root.Parse(args);
if (parsed.Action is ParseErrorAction onParseError)
    onParseError.ShowHelp = false; // the error alone is clearer; --help is there for the rest
// Signals belong to the server's graceful shutdown, not to the parser's default cancellation.
var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
// System.CommandLine has printed the parse errors; report them with the documented bad-input code, not its 1.
return parsed.Errors.Count > 0 ? ExitCodes.BadInput : exitCode;

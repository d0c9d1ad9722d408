using System.CommandLine;
using System.CommandLine.Invocation;
using ActorEcho.Cli;
using ActorEcho.Diagnostics;

var root = new RootCommand(
    "ActorEcho: a TCP echo server built on Akka.NET actors. Without a command it runs 'serve', so " +
    "'ActorEcho 0.0.0.0:2000' and 'ActorEcho serve 0.0.0.0:2000' are the same.");
var serve = new ServeCommand();
root.Subcommands.Add(serve);
root.Subcommands.Add(new ClientCommand());
root.Subcommands.Add(new BenchCommand());

var parsed = root.Parse(DefaultToServe(args));
if (parsed.Action is ParseErrorAction onParseError)
    onParseError.ShowHelp = false; // the error alone is clearer; --help is there for the rest
// Signals belong to the server's graceful shutdown, not to the parser's default cancellation.
var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
// System.CommandLine has printed the parse errors; report them with the documented bad-input code, not its 1.
return parsed.Errors.Count > 0 ? ExitCodes.BadInput : exitCode;

// 'serve' is the default command. Rather than give the root command serve's argument (which System.CommandLine
// would then also list in every subcommand's help), insert the word when no command (or root help) is named.
string[] DefaultToServe(string[] arguments)
{
    if (arguments.Length > 0 &&
        (root.Subcommands.Any(c => c.Name == arguments[0]) || arguments[0] is "-h" or "--help" or "-?" or "--version"))
        return arguments;
    return [serve.Name, .. arguments];
}

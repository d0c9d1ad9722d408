using System.CommandLine;
using System.Runtime.InteropServices;
using ActorEcho.Hosting;

namespace ActorEcho.Cli;

/// <summary><c>serve [ADDRESS] [--config FILE]</c>: runs the echo server until Ctrl-C or SIGTERM.</summary>
public static class ServeCommand
{
    /// <summary>Environment variable that overrides <c>actor-echo.bind-address</c>.</summary>
    public const string BindAddressVariable = "ACTOR_ECHO_BIND";

    public static readonly Argument<string?> AddressArgument = new("address")
    {
        Description = "Address to listen on, overriding actor-echo.bind-address: 127.0.0.1:2000, 0.0.0.0:2000, [::]:2000; port 0 picks a free port",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static readonly Option<string?> ConfigOption = new("--config", "-c")
    {
        Description = "HOCON configuration file (default: akka.hocon beside the program)",
        HelpName = "FILE",
    };

    /// <summary>Adds the serve arguments and action to <paramref name="command"/> (the root command and
    /// the explicit <c>serve</c> subcommand share them).</summary>
    public static T Configure<T>(T command) where T : Command
    {
        command.Arguments.Add(AddressArgument);
        command.Options.Add(ConfigOption);
        command.SetAction((result, _) => RunAsync(result.GetValue(AddressArgument), result.GetValue(ConfigOption)));
        return command;
    }

    public static Command Create() => Configure(new Command("serve", "Run the echo server (the default command)"));

    private static async Task<int> RunAsync(string? address, string? configPath)
    {
        EchoServer server;
        try
        {
            var config = ConfigLoader.Load(configPath);
            var settings = EchoSettings.Create(config);
            // Precedence: command line, then the environment (containers), then the configuration file.
            address ??= NonEmpty(Environment.GetEnvironmentVariable(BindAddressVariable));
            if (address is not null)
                settings = settings with { BindAddress = address };
            var endpoint = await EndpointParser.ResolveAsync(settings.BindAddress);
            server = await EchoServer.StartAsync(config, settings, endpoint);
        }
        catch (SettingsException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (BindFailedException e)
        {
            return Fail(ExitCodes.NetworkError, e.Message);
        }

        // Ctrl-C and SIGTERM start the graceful shutdown; cancelling the default handling keeps the runtime
        // from exiting before the drain is done, so the process ends with 0 when main returns.
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        Console.Out.WriteLine($"Listening on {EndpointParser.Format(server.LocalEndpoint)}");
        Console.Out.Flush();

        await server.WhenTerminated;
        return ExitCodes.Ok;

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            _ = server.StopAsync();
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    internal static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"actor-echo: {message}");
        return exitCode;
    }
}

using System.CommandLine;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Hosting;
using ActorEcho.Networking;
using Akka.Actor;

namespace ActorEcho.Cli;

/// <summary><c>serve [ADDRESS] [--config FILE] [--udp ADDRESS]</c>: runs the echo server until Ctrl-C or SIGTERM.</summary>
public sealed class ServeCommand : Command
{
    /// <summary>Environment variable that overrides <c>actor-echo.bind-address</c>.</summary>
    public const string BindAddressVariable = "ACTOR_ECHO_BIND";

    private readonly Argument<string?> _address = new("address")
    {
        Description = "Address to listen on, overriding actor-echo.bind-address and ACTOR_ECHO_BIND: " +
                      "127.0.0.1:2000, 0.0.0.0:2000, [::]:2000; port 0 picks a free port",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<string?> _config = new("--config", "-c")
    {
        Description = "HOCON configuration file (default: akka.hocon beside the program)",
        HelpName = "FILE",
    };

    private readonly Option<string?> _udp = new("--udp")
    {
        Description = "Also serve UDP echo on this address, overriding actor-echo.udp.bind-address: 127.0.0.1:2000, [::1]:0",
        HelpName = "ADDRESS",
    };

    private readonly Option<string?> _tls = new("--tls")
    {
        Description = "Also serve TLS echo on this address, overriding actor-echo.tls.bind-address (needs actor-echo.tls.certificate): 127.0.0.1:2443",
        HelpName = "ADDRESS",
    };

    public ServeCommand() : base("serve", "Run the echo server until Ctrl-C or SIGTERM (the default command)")
    {
        Arguments.Add(_address);
        Options.Add(_config);
        Options.Add(_udp);
        Options.Add(_tls);
        SetAction((result, _) => RunAsync(result.GetValue(_address), result.GetValue(_config), result.GetValue(_udp), result.GetValue(_tls)));
    }

    private static async Task<int> RunAsync(string? address, string? configPath, string? udpAddress, string? tlsAddress)
    {
        // The one signal path, from now until the process exits: a signal while the server is still starting is
        // kept, and also ends in a drain and exit code 0.
        var signals = ShutdownSignals.ForProcess();

        EchoServer server;
        SettingsReload reload;
        try
        {
            var config = ConfigLoader.Load(configPath);
            var settings = EchoSettings.Create(config);
            // Before anything opens a socket: the runtime reads this switch once, at the first socket operation.
            InlineSocketCompletions.Apply(settings.InlineSocketCompletions);
            // Precedence: command line, then the environment (containers), then the configuration file.
            address ??= NonEmpty(Environment.GetEnvironmentVariable(BindAddressVariable));
            if (address is not null)
                settings = settings with { BindAddress = address };
            if (NonEmpty(udpAddress) is { } udp)
                settings = settings with { Udp = UdpEchoSettings.WithBindAddress(config, settings.Udp, udp) };
            if (NonEmpty(tlsAddress) is { } tls)
                settings = settings with { Tls = settings.Tls.WithBindAddress(tls) };
            var endpoint = await EndpointParser.ResolveAsync(settings.BindAddress);
            server = await EchoServer.StartAsync(config, settings, endpoint, PrintListening);
            // SIGHUP from now on re-reads the same file, with the overrides above kept (until now it is only logged).
            reload = new SettingsReload(server, configPath, config, settings);
            signals.ReloadRequested += reload.Request;
            reload.WatchCertificateFiles();
        }
        catch (SettingsException e)
        {
            return ExitCodes.Report(ExitCodes.BadInput, e.Message);
        }
        catch (BindFailedException e)
        {
            return ExitCodes.Report(ExitCodes.NetworkError, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ExitCodes.ReportUnexpected(e, "cannot start");
        }

        // The server stops on a signal, or when Akka ends the system by itself (a lost listening socket).
        await Task.WhenAny(signals.Requested, server.WhenTerminated);
        if (signals.Requested.IsCompleted)
            await server.StopAsync();
        await server.WhenTerminated;
        signals.ReloadRequested -= reload.Request;
        reload.Dispose();
        var reason = server.ShutdownReason;
        await server.DisposeAsync(); // writes out the log still queued
        return reason is ListeningSocketLost lost
            ? ExitCodes.Report(ExitCodes.NetworkError, lost.Message)
            : ExitCodes.Ok;

        // Every listener is bound: the lines scripts read, before systemd hears READY=1.
        static void PrintListening(EchoServer server)
        {
            Console.Out.WriteLine($"Listening on {EndpointParser.Format(server.LocalEndpoint)}");
            if (server.TlsLocalEndpoint is { } tlsEndpoint)
                Console.Out.WriteLine($"Listening on tls {EndpointParser.Format(tlsEndpoint)}");
            if (server.UdpLocalEndpoint is { } udpEndpoint)
                Console.Out.WriteLine($"Listening on udp {EndpointParser.Format(udpEndpoint)}");
            Console.Out.Flush();
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

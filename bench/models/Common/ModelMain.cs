// Compiled into every model (each csproj links this file): what the lesson's programs do before and after their
// server loop. Parse "<host>:<port>", start the server, print "Listening on <ip>:<port>" (port 0 shows the port
// the system chose), run until Ctrl-C or SIGTERM. The loops themselves, the part worth reading, are in each
// model's *Server.cs.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ActorEcho.Models;

/// <summary>A running model: where it listens, and <see cref="IDisposable.Dispose"/> to stop it and close every
/// socket it holds. Internal: each model compiles its own copy of this file.</summary>
internal interface IEchoModel : IDisposable
{
    EndPoint LocalEndPoint { get; }
}

internal static class ModelMain
{
    /// <summary>Listen backlog of every model: the largest the OS allows (net.core.somaxconn on Linux), as ActorEcho's
    /// <c>backlog = max</c>. The lesson's Rust servers get std's 128; a smaller queue makes a burst of thousands of
    /// connects (the idle and storm scenarios) overflow it (SYNs dropped, clients retrying after 1 s and 3 s), which
    /// would measure the backlog instead of the model.</summary>
    public static readonly int Backlog = OsMaximumBacklog();

    private static int OsMaximumBacklog()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 4096;
        }
    }

    public static int Run(string name, string[] args, Func<IPEndPoint, TextWriter, IEchoModel> start)
    {
        if (args.Length != 1 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine($"usage: {name} <host>:<port>   (port 0: any free port; 0.0.0.0 or [::]: every interface)");
            return 2;
        }
        if (!TryParseEndpoint(args[0], out var endpoint, out var problem))
        {
            Console.Error.WriteLine($"{name}: {problem}");
            return 2;
        }

        IEchoModel server;
        try
        {
            server = start(endpoint, Console.Out);
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"{name}: cannot listen on {args[0]}: {e.Message}");
            return 1;
        }

        using (server)
        {
            Console.WriteLine($"Listening on {server.LocalEndPoint}");
            using var stop = new ManualResetEventSlim();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Set();
            };
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Set();
            });
            stop.Wait();
        }
        return 0;
    }

    /// <summary>"127.0.0.1:2000", "[::1]:0", "0.0.0.0:2000" or "localhost:2000" (a name: its first address).</summary>
    private static bool TryParseEndpoint(string text, out IPEndPoint endpoint, out string problem)
    {
        endpoint = null!;
        problem = "";
        if (IPEndPoint.TryParse(text, out var parsed) && text.Contains(':', StringComparison.Ordinal))
        {
            endpoint = parsed;
            return true;
        }
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            problem = $"'{text}' is not <host>:<port>";
            return false;
        }
        try
        {
            var addresses = Dns.GetHostAddresses(text[..colon]);
            if (addresses.Length == 0)
            {
                problem = $"'{text[..colon]}' has no address";
                return false;
            }
            endpoint = new IPEndPoint(addresses[0], port);
            return true;
        }
        catch (SocketException e)
        {
            problem = $"cannot resolve '{text[..colon]}': {e.Message}";
            return false;
        }
    }
}

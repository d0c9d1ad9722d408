using System.Globalization;
using System.Net;

namespace ActorEcho.TlsFlood;

/// <summary>The command line (see Program.cs); a bad one is one line on stderr and exit 2.</summary>
internal sealed record FloodOptions
{
    public required IPEndPoint Endpoint { get; init; }
    public int Clients { get; init; } = 1000;
    public long Bytes { get; init; } = 1 << 20;
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Handshakes at a time: enough to finish 1,000 in seconds, few enough that none waits long in
    /// the accept queue or nears the server's handshake-timeout.</summary>
    public int Parallel { get; init; } = 64;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(180);

    public static FloodOptions? Parse(string[] args)
    {
        if (args.Length == 0 || !IPEndPoint.TryParse(args[0], out var endpoint) || endpoint.Port == 0)
            return Bad("usage: TlsFlood HOST:PORT [--clients N] [--bytes N] [--hold SECONDS] [--parallel N] [--timeout SECONDS]");
        var options = new FloodOptions { Endpoint = endpoint };
        for (var i = 1; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length || !long.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                return Bad($"{args[i]} needs a whole number");
            FloodOptions? next = args[i] switch
            {
                "--clients" when value is > 0 and <= 1_000_000 => options with { Clients = (int)value },
                "--bytes" when value > 0 => options with { Bytes = value },
                "--hold" => options with { Hold = TimeSpan.FromSeconds(value) },
                "--parallel" when value is > 0 and <= 10_000 => options with { Parallel = (int)value },
                "--timeout" when value > 0 => options with { Timeout = TimeSpan.FromSeconds(value) },
                _ => null,
            };
            if (next is null)
                return Bad($"{args[i]} {args[i + 1]}: unknown option or value out of range");
            options = next;
        }
        return options;
    }

    private static FloodOptions? Bad(string message)
    {
        Console.Error.WriteLine($"TlsFlood: {message}");
        return null;
    }
}

/// <summary>The one JSON line the run ends with. Latencies in microseconds, MB nowhere (the script reads the
/// server's memory itself).</summary>
internal sealed record FloodReport
{
    public required string Target { get; init; }
    public required string Protocol { get; init; }
    public required int Clients { get; init; }
    public required long BytesPerClient { get; init; }
    public required double HoldSeconds { get; init; }
    /// <summary>Clients whose handshake completed.</summary>
    public required int Connected { get; init; }
    /// <summary>Clients that got every byte back, right, and then the server's close_notify with nothing more.</summary>
    public required int Completed { get; init; }
    public required int Failed { get; init; }
    /// <summary>Echoed bytes that differ from what was sent there, and bytes beyond what was sent.</summary>
    public required long WrongBytes { get; init; }
    public required int MismatchedClients { get; init; }
    public required double ConnectSeconds { get; init; }
    /// <summary>From all starting to write until the last client closed (hold included).</summary>
    public required double FloodSeconds { get; init; }
    public required bool TimedOut { get; init; }
    public required long PingMessages { get; init; }
    public required double PingP50Micros { get; init; }
    public required double PingP99Micros { get; init; }
    public required double PingP999Micros { get; init; }
    /// <summary>The slowest round trip, including one still waiting for its echo when the flood ended.</summary>
    public required double PingWorstMicros { get; init; }
    public required string? PingError { get; init; }
    public required string[] Errors { get; init; }
}

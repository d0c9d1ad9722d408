using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ActorEcho.RollingCheck;

// Helper of deploy/rolling-restart.sh (see there). Subcommands:
//   ports N                                      print N free TCP ports on 127.0.0.1, one a line
//   wait-server STATS_URL BACKEND SERVER STATUS SECONDS
//                                                wait until HAProxy's stats (CSV) show SERVER of BACKEND in STATUS
//                                                (UP, DOWN, ...); exit 1 if it does not within SECONDS
//   clients HOST:PORT SHORT BULK BULK_BYTES MAX_SECONDS
//                                                run SHORT workers of short echo sessions and BULK workers of
//                                                BULK_BYTES transfers until SIGTERM/SIGINT (or MAX_SECONDS), then
//                                                print the counts; exit 0 only if no session failed and no byte
//                                                came back wrong
try
{
    return args switch
    {
        ["ports", var n] => Ports(int.Parse(n, CultureInfo.InvariantCulture)),
        ["wait-server", var url, var backend, var server, var status, var seconds] =>
            await HaproxyStats.WaitAsync(new Uri(url), backend, server, status, TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture))),
        ["clients", var address, var shortWorkers, var bulkWorkers, var bulkBytes, var maxSeconds] =>
            await RunClientsAsync(IPEndPoint.Parse(address), int.Parse(shortWorkers, CultureInfo.InvariantCulture),
                int.Parse(bulkWorkers, CultureInfo.InvariantCulture), int.Parse(bulkBytes, CultureInfo.InvariantCulture),
                TimeSpan.FromSeconds(double.Parse(maxSeconds, CultureInfo.InvariantCulture))),
        _ => Usage(),
    };
}
catch (Exception e) when (e is FormatException or OverflowException)
{
    Console.Error.WriteLine($"rolling-check: {e.Message}");
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("usage: rolling-check ports N | wait-server STATS_URL BACKEND SERVER STATUS SECONDS | " +
                            "clients HOST:PORT SHORT BULK BULK_BYTES MAX_SECONDS");
    return 2;
}

static int Ports(int count)
{
    // Held together while picking, so the N ports differ; released before the script binds them.
    var sockets = Enumerable.Range(0, count).Select(_ =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }).ToList();
    foreach (var socket in sockets)
    {
        Console.WriteLine(((IPEndPoint)socket.LocalEndPoint!).Port);
        socket.Dispose();
    }
    return 0;
}

static async Task<int> RunClientsAsync(IPEndPoint target, int shortWorkers, int bulkWorkers, int bulkBytes, TimeSpan maxDuration)
{
    using var stop = new CancellationTokenSource(maxDuration);
    using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    var tally = new Tally();
    var workers = Enumerable.Range(0, shortWorkers).Select(i => Sessions.LoopAsync(target, Sessions.Kind.Short, 0, i, tally, stop.Token))
        .Concat(Enumerable.Range(0, bulkWorkers).Select(i => Sessions.LoopAsync(target, Sessions.Kind.Bulk, bulkBytes, 1000 + i, tally, stop.Token)))
        .ToList();
    await Task.WhenAll(workers);
    Console.WriteLine(tally.Summary());
    foreach (var failure in tally.FirstFailures())
        Console.WriteLine($"  failed: {failure}");
    return tally.Clean ? 0 : 1;

    void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        stop.Cancel();
    }
}

// bench/tls-flood.sh's TLS client, the TLS twin of `echoload --mode=slowread` beside an echoload
// ping-pong: CLIENTS TLS connections (PARALLEL handshakes at a time; the server's certificate is not checked, for
// `certificate = self-signed`) each write BYTES of the load engine's pattern and read nothing for HOLD seconds
// (counted from when they all start writing), then read everything back checking every byte, send close_notify and
// expect the server's close_notify with nothing more. Meanwhile one more TLS client echoes 64 B messages, one at a
// time, from before the first handshake until the flood is over: a client that reads must keep being served.
// A client that fails is counted, never retried; TIMEOUT bounds the whole run.
// Prints one JSON line (connected, completed, failed, wrongBytes, the ping-pong's p99 and worst, ...); exits 0 when
// every client got every byte back and the ping-pong never failed, 1 otherwise, 2 for bad arguments.
//
// Usage: TlsFlood HOST:PORT [--clients N] [--bytes N] [--hold SECONDS] [--parallel N] [--timeout SECONDS]
//        (defaults: 1000 clients, 1048576 bytes, hold 10 s, 64 handshakes at a time, timeout 180 s)
using System.Diagnostics;
using System.Net.Security;
using System.Text.Json;
using ActorEcho.LoadEngine;
using ActorEcho.Tls;
using ActorEcho.TlsFlood;

if (FloodOptions.Parse(args) is not { } options)
    return 2;

var tls = new SslClientAuthenticationOptions
{
    TargetHost = "localhost",
    EnabledSslProtocols = TlsServerCredentials.Protocols,
    // The server under test makes its certificate at start: there is nothing to check it against.
    RemoteCertificateValidationCallback = (_, _, _, _) => true,
};
using var deadline = new CancellationTokenSource(options.Timeout);
var clients = Enumerable.Range(0, options.Clients).Select(id => new FloodClient(id, options.Bytes)).ToArray();
// Its id follows the flood's, so its bytes are its own in the pattern too.
using var ping = PingPong.Start(options.Endpoint, tls, options.Clients);

var clock = Stopwatch.StartNew();
using (var slots = new SemaphoreSlim(options.Parallel))
{
    await Task.WhenAll(clients.Select(async client =>
    {
        await slots.WaitAsync(CancellationToken.None);
        try
        {
            await client.ConnectAsync(options.Endpoint, tls, deadline.Token);
        }
        finally
        {
            slots.Release();
        }
    }));
}
var connectSeconds = clock.Elapsed.TotalSeconds;

clock.Restart();
var connected = clients.Where(client => client.IsConnected).ToArray();
var hold = Task.Delay(options.Hold, deadline.Token);
await Task.WhenAll(connected.Select(client => client.FloodAsync(hold, deadline.Token)));
var floodSeconds = clock.Elapsed.TotalSeconds;
var pong = ping.Stop();

var report = new FloodReport
{
    Target = options.Endpoint.ToString(),
    Protocol = connected.FirstOrDefault()?.Protocol ?? "none",
    Clients = options.Clients,
    BytesPerClient = options.Bytes,
    HoldSeconds = options.Hold.TotalSeconds,
    Connected = connected.Length,
    Completed = clients.Count(client => client.IsCompleted),
    Failed = clients.Count(client => !client.IsCompleted),
    WrongBytes = clients.Sum(client => client.WrongBytes),
    MismatchedClients = clients.Count(client => client.WrongBytes > 0),
    ConnectSeconds = Math.Round(connectSeconds, 3),
    FloodSeconds = Math.Round(floodSeconds, 3),
    TimedOut = deadline.IsCancellationRequested,
    PingMessages = pong.Messages,
    PingP50Micros = pong.Percentile(50),
    PingP99Micros = pong.Percentile(99),
    PingP999Micros = pong.Percentile(99.9),
    PingWorstMicros = pong.WorstMicros,
    PingError = pong.Error,
    // The first few distinct reasons (a flood's failures are usually one reason many times).
    Errors = clients.Select(client => client.Error).OfType<string>().GroupBy(error => error)
        .Select(group => $"{group.Count()} x {group.Key}").Take(5).ToArray(),
};
Console.Out.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
return report.Completed == report.Clients && report.WrongBytes == 0 && report.PingError is null ? 0 : 1;

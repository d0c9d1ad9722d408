using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using ActorEcho.LoadEngine;

namespace ActorEcho.TlsFlood;

/// <summary>
/// One TLS client that echoes <see cref="Size"/>-byte messages one at a time, checked, for as long as the flood
/// lasts, and records each round trip. It runs on a thread of its own with blocking calls, so the flood's
/// thousand connections queued on the thread pool cannot delay it: its latencies are the server's (as the
/// plain flood's ping-pong is a separate echoload process).
/// </summary>
internal sealed class PingPong : IDisposable
{
    public const int Size = 64;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    /// <summary>A ping without its echo this long is a failure (a server that stalled, or died).</summary>
    private static readonly TimeSpan EchoTimeout = TimeSpan.FromSeconds(60);

    private readonly IPEndPoint _endpoint;
    private readonly SslClientAuthenticationOptions _options;
    private readonly long _patternStart;
    private readonly LatencyRecorder _latency = new();
    private readonly ManualResetEventSlim _ready = new();
    private readonly Thread _thread;
    private readonly Socket _socket;
    private volatile bool _stopping;
    private long _pendingSince; // Stopwatch timestamp of the ping awaiting its echo; 0 when none
    private long _worstTicks;
    private long _messages;
    private string? _error;

    private PingPong(IPEndPoint endpoint, SslClientAuthenticationOptions options, int id)
    {
        _endpoint = endpoint;
        _options = options;
        _patternStart = EchoPattern.Start(id);
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveTimeout = (int)EchoTimeout.TotalMilliseconds,
            SendTimeout = (int)EchoTimeout.TotalMilliseconds,
        };
        _thread = new Thread(Run) { IsBackground = true, Name = "ping-pong" };
    }

    /// <summary>Connects, completes the handshake and starts echoing; returns once the first ping is under way
    /// (or the connection failed, which <see cref="Stop"/> reports).</summary>
    public static PingPong Start(IPEndPoint endpoint, SslClientAuthenticationOptions options, int id)
    {
        var ping = new PingPong(endpoint, options, id);
        ping._thread.Start();
        ping._ready.Wait(ConnectTimeout);
        return ping;
    }

    private void Run()
    {
        try
        {
            _socket.Connect(_endpoint);
            using var tls = new SslStream(new NetworkStream(_socket, ownsSocket: false));
            tls.AuthenticateAsClient(_options);
            _ready.Set();
            var echo = new byte[Size];
            for (long offset = 0; !_stopping; offset += Size)
            {
                var message = EchoPattern.Shared.Slice(_patternStart, offset, Size).Span;
                var sent = Stopwatch.GetTimestamp();
                Volatile.Write(ref _pendingSince, sent);
                tls.Write(message);
                tls.ReadExactly(echo);
                var echoed = Stopwatch.GetTimestamp();
                Volatile.Write(ref _pendingSince, 0);
                if (!echo.AsSpan().SequenceEqual(message))
                    throw new FloodFailure("the echo differs from the message");
                _latency.Record(sent, echoed);
                _worstTicks = Math.Max(_worstTicks, echoed - sent);
                Volatile.Write(ref _messages, _messages + 1);
            }
            Close(tls);
        }
        catch (Exception e) when (FloodClient.IsConnectionFailure(e))
        {
            _error = FloodClient.Describe(e);
        }
        finally
        {
            _ready.Set();
        }
    }

    /// <summary>close_notify, or a FIN where OpenSSL refuses it (as FloodClient closes); disposed right after.</summary>
    private void Close(SslStream tls)
    {
        try
        {
            tls.ShutdownAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>Ends the echo after the ping under way (waiting for its echo up to the echo timeout).</summary>
    public Result Stop()
    {
        _stopping = true;
        long stalledTicks = 0;
        if (!_thread.Join(EchoTimeout + TimeSpan.FromSeconds(5)))
        {
            stalledTicks = Stopwatch.GetTimestamp() - Volatile.Read(ref _pendingSince);
            _socket.Dispose();
            _thread.Join();
        }
        var histogram = _latency.Merge();
        return new Result(Volatile.Read(ref _messages), histogram, Micros(Math.Max(_worstTicks, stalledTicks)), _error);
    }

    public void Dispose()
    {
        _socket.Dispose();
        _latency.Dispose();
        _ready.Dispose();
    }

    private static double Micros(long ticks) => Math.Round(ticks * 1e6 / Stopwatch.Frequency, 1);

    public sealed record Result(long Messages, HdrHistogram.LongHistogram Histogram, double WorstMicros, string? Error)
    {
        public double Percentile(double percentile) =>
            Histogram.TotalCount == 0 ? 0 : Math.Round(Histogram.GetValueAtPercentile(percentile) / 1000.0, 1);
    }
}

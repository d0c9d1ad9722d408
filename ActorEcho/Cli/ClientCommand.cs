using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>
/// <c>client ADDRESS [MESSAGE]</c>: with a message, sends it, half-closes and prints the echo exactly (the
/// lesson's simple client; exit 4 if the echo differs). Without one, copies stdin to the server as it comes and
/// prints replies as they arrive, like <c>socat</c>; EOF on stdin half-closes and the rest of the echo is printed.
/// Output is the server's bytes, unchanged, except that on a terminal a final newline is added if the echo
/// lacks one (so the prompt does not land on its last line); redirected output is byte-exact.
/// With <c>--udp</c>, one datagram instead (<see cref="UdpEchoClient"/>).
/// </summary>
public sealed class ClientCommand : Command
{
    private const int BufferSize = 64 * 1024;
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Argument<string> _address = new("address")
    {
        Description = "Echo server to connect to: host:port or [ipv6]:port, e.g. 127.0.0.1:2000",
    };

    private readonly Argument<string?> _message = new("message")
    {
        Description = "Text to send (UTF-8, sent as is, no newline added); without it, stdin is sent",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<TimeSpan?> _timeout = CommandLineValues.DurationOption("--timeout", "-t",
        $"Connect timeout, and how long to wait for more echo once everything is sent: 10, 500ms, 1m (default {Dialer.Describe(DefaultTimeout)})");

    private readonly UdpEchoClient _udp;
    private readonly TlsEchoClient _tls;

    public ClientCommand() : base("client", "Send a message (or stdin) to an echo server and print the echo")
    {
        Arguments.Add(_address);
        Arguments.Add(_message);
        Options.Add(_timeout);
        CommandLineValues.CheckPositive(_timeout);
        _udp = new UdpEchoClient(this);
        _tls = new TlsEchoClient(this);
        SetAction((result, _) => _udp.IsRequested(result)
            ? _udp.RunAsync(result, result.GetRequiredValue(_address), result.GetValue(_message), result.GetValue(_timeout))
            : _tls.IsRequested(result)
            ? _tls.RunAsync(result, result.GetRequiredValue(_address), result.GetValue(_message), result.GetValue(_timeout) ?? DefaultTimeout)
            : RunAsync(result.GetRequiredValue(_address), result.GetValue(_message), result.GetValue(_timeout) ?? DefaultTimeout));
    }

    private static async Task<int> RunAsync(string address, string? message, TimeSpan timeout)
    {
        try
        {
            var endpoint = await TargetAddress.ResolveAsync(address);
            using var socket = await Dialer.ConnectAsync(endpoint, timeout);
            await using var output = new TerminalAwareOutput(Console.OpenStandardOutput(), Console.IsOutputRedirected);
            var target = Dialer.Describe(endpoint);
            if (message is null)
            {
                await using var input = Console.OpenStandardInput();
                await RelayAsync(socket, input, output, timeout, target);
            }
            else
            {
                await SendOnceAsync(socket, Encoding.UTF8.GetBytes(message), output, timeout, target);
            }
            return ExitCodes.Ok;
        }
        catch (Exception e) when (EchoFailureExit.IsReportable(e))
        {
            return EchoFailureExit.ClientFailure(e);
        }
    }

    /// <summary>Sends <paramref name="message"/>, half-closes, copies the echo to <paramref name="output"/>
    /// until EOF, then checks it is exactly the message.</summary>
    internal static async Task SendOnceAsync(Socket socket, byte[] message, Stream output, TimeSpan timeout, string target)
    {
        var echo = new EchoComparison(message);
        try
        {
            using var idle = new CancellationTokenSource(timeout);
            // Read while sending: a message larger than the socket buffers would otherwise deadlock against a
            // server that stops reading until its echo is read.
            var replies = CopyReplyAsync(socket, output, idle, timeout, target, onReceived: piece =>
            {
                echo.Add(piece);
                idle.CancelAfter(timeout);
            });
            await socket.SendAsync(message, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            await replies;
        }
        catch (SocketException e)
        {
            throw EchoFailureException.Network($"connection to {target}: {Dialer.Describe(e)}");
        }
        if (echo.Difference() is { } difference)
            throw EchoFailureException.Mismatch($"the echo from {target} differs from the message: {difference}");
        if (echo.Received < message.Length)
            throw EchoFailureException.Network(
                $"connection closed by {target} after {echo.Received} of {message.Length} bytes of echo");
    }

    /// <summary>Copies <paramref name="input"/> to the socket and the socket to <paramref name="output"/> at the
    /// same time; input EOF half-closes, and the echo is then read to its end.</summary>
    internal static async Task RelayAsync(Socket socket, Stream input, Stream output, TimeSpan timeout, string target)
    {
        // No time limit while the user may still type; once input is over, the echo must keep coming.
        using var idle = new CancellationTokenSource();
        var halfClosed = false;
        try
        {
            var replies = CopyReplyAsync(socket, output, idle, timeout, target, onReceived: _ =>
            {
                if (Volatile.Read(ref halfClosed))
                    idle.CancelAfter(timeout);
            });
            var sending = CopyInputAsync();
            if (await Task.WhenAny(sending, replies) == replies && !Volatile.Read(ref halfClosed))
            {
                await replies; // a failure, or the server closed before the input was over
                throw EchoFailureException.Network($"connection closed by {target} before the input ended");
            }
            await sending;
            await replies;
        }
        catch (SocketException e)
        {
            throw EchoFailureException.Network($"connection to {target}: {Dialer.Describe(e)}");
        }

        async Task CopyInputAsync()
        {
            var buffer = new byte[BufferSize];
            int read;
            while ((read = await input.ReadAsync(buffer)) > 0)
                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            Volatile.Write(ref halfClosed, true); // before the FIN: the server may close as soon as it sees it
            idle.CancelAfter(timeout);
            socket.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>Copies the echo to <paramref name="output"/> until EOF; <paramref name="idle"/> ends the wait
    /// (callers re-arm it in <paramref name="onReceived"/> when a time limit applies).</summary>
    private static async Task CopyReplyAsync(Socket socket, Stream output, CancellationTokenSource idle, TimeSpan timeout,
        string target, Action<ReadOnlyMemory<byte>> onReceived)
    {
        var buffer = new byte[BufferSize];
        while (true)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(buffer, SocketFlags.None, idle.Token);
            }
            catch (OperationCanceledException)
            {
                throw EchoFailureException.Network($"no echo from {target} for {Dialer.Describe(timeout)}");
            }
            if (received == 0)
                return;
            await output.WriteAsync(buffer.AsMemory(0, received));
            await output.FlushAsync();
            onReceived(buffer.AsMemory(0, received));
        }
    }

    /// <summary>Compares an echo, arriving in pieces, with the message sent.</summary>
    private sealed class EchoComparison(byte[] message)
    {
        private long _received;
        private long _firstDifference = -1;

        public void Add(ReadOnlyMemory<byte> piece)
        {
            if (_firstDifference < 0 && _received < message.Length)
            {
                var expected = message.AsSpan((int)_received, (int)Math.Min(piece.Length, message.Length - _received));
                var common = piece.Span.CommonPrefixLength(expected);
                if (common < expected.Length)
                    _firstDifference = _received + common;
            }
            _received += piece.Length;
        }

        public long Received => _received;

        /// <summary>How the echo differs, or null when it is the message or a prefix of it (a short echo is
        /// an early close, a network error, not a mismatch).</summary>
        public string? Difference()
        {
            if (_firstDifference >= 0)
                return $"first difference at byte {_firstDifference}";
            return _received > message.Length ? $"sent {message.Length} bytes, received {_received}" : null;
        }
    }

    /// <summary>Passes bytes through unchanged; on a terminal, ends the output with a newline if it lacks one.</summary>
    private sealed class TerminalAwareOutput(Stream inner, bool redirected) : Stream
    {
        private byte _last = (byte)'\n';

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length > 0)
                _last = buffer.Span[^1];
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override void Flush() => inner.Flush();

        public override async ValueTask DisposeAsync()
        {
            if (!redirected && _last != (byte)'\n')
                await inner.WriteAsync("\n"u8.ToArray());
            await inner.FlushAsync();
            await inner.DisposeAsync();
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

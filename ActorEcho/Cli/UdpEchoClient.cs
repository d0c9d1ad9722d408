using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>
/// <c>client --udp ADDRESS [MESSAGE]</c>: sends the message (or all of stdin) as one datagram and prints the echo.
/// UDP may lose a datagram or its echo, so each attempt waits <c>--timeout</c> (default 1 s) and the datagram is
/// sent again up to <c>--retries</c> times (default 2); no echo at all is a one-line error, exit code 3.
/// The socket is connected, so only datagrams from the server count, and an ICMP "port unreachable" (nothing
/// listening) is reported as such instead of waiting out every attempt. The client command owns the address,
/// message and timeout and passes their values in.
/// </summary>
internal sealed class UdpEchoClient
{
    private const int DefaultRetries = 2;
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The largest UDP payload (IPv4).</summary>
    private const int MaxDatagram = UdpBenchRunner.MaxDatagramSize;

    private readonly Option<bool> _udp = new("--udp", "-u")
    {
        Description = "Use UDP: send MESSAGE (or stdin) as one datagram and print the echo; --timeout is then per attempt " +
                      $"(default {Dialer.Describe(DefaultTimeout)})",
    };

    private readonly Option<int> _retries = new("--retries")
    {
        Description = $"UDP: how many times to send the datagram again when no echo comes within --timeout (default {DefaultRetries})",
        HelpName = "N",
        DefaultValueFactory = _ => DefaultRetries,
    };

    /// <summary>Adds <c>--udp</c> and <c>--retries</c> to the client command.</summary>
    public UdpEchoClient(Command client)
    {
        CommandLineValues.Check(_retries, value => value is < 0 or > 100 ? "--retries must be from 0 to 100." : null);
        client.Options.Add(_udp);
        client.Options.Add(_retries);
    }

    public bool IsRequested(ParseResult result) => result.GetValue(_udp);

    public Task<int> RunAsync(ParseResult result, string address, string? message, TimeSpan? timeout) =>
        RunAsync(address, message, timeout ?? DefaultTimeout, result.GetValue(_retries));

    private static async Task<int> RunAsync(string address, string? message, TimeSpan timeout, int retries)
    {
        try
        {
            byte[] datagram;
            if (message is not null)
            {
                datagram = Encoding.UTF8.GetBytes(message);
            }
            else
            {
                await using var input = Console.OpenStandardInput();
                using var buffer = new MemoryStream();
                await input.CopyToAsync(buffer);
                datagram = buffer.ToArray();
            }
            if (datagram.Length is 0 or > MaxDatagram)
                return ExitCodes.Report(ExitCodes.BadInput,
                    $"a UDP message must be 1 to {MaxDatagram} bytes, not {datagram.Length.ToString(CultureInfo.InvariantCulture)}");

            var endpoint = await TargetAddress.ResolveAsync(address);
            var echo = await ExchangeAsync(endpoint, datagram, timeout, retries);
            await using var output = Console.OpenStandardOutput();
            await output.WriteAsync(echo);
            if (!Console.IsOutputRedirected && echo[^1] != (byte)'\n')
                await output.WriteAsync("\n"u8.ToArray());
            return ExitCodes.Ok;
        }
        catch (Exception e) when (EchoFailureExit.IsReportable(e))
        {
            return EchoFailureExit.ClientFailure(e);
        }
    }

    /// <summary>Sends <paramref name="datagram"/> up to 1 + <paramref name="retries"/> times and returns its echo.</summary>
    /// <exception cref="EchoFailureException">no echo, refused, or an echo that differs.</exception>
    internal static async Task<byte[]> ExchangeAsync(IPEndPoint server, byte[] datagram, TimeSpan timeout, int retries)
    {
        var target = "udp " + Dialer.Describe(server);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var buffer = new byte[MaxDatagram + 1];
        try
        {
            await socket.ConnectAsync(server);
            for (var attempt = 0; attempt <= retries; attempt++)
            {
                await socket.SendAsync(datagram, SocketFlags.None);
                using var wait = new CancellationTokenSource(timeout);
                try
                {
                    var received = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                    if (!buffer.AsSpan(0, received).SequenceEqual(datagram))
                        throw EchoFailureException.Mismatch(received == datagram.Length
                            ? $"the echo from {target} differs from the message at byte {buffer.AsSpan(0, received).CommonPrefixLength(datagram)}"
                            : $"sent {datagram.Length} bytes to {target}, {received} came back");
                    return buffer[..received];
                }
                catch (OperationCanceledException) when (wait.IsCancellationRequested)
                {
                    // lost, or never answered: send again
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            throw EchoFailureException.Network($"{target}: port unreachable (nothing listens for UDP there)");
        }
        catch (SocketException e)
        {
            throw EchoFailureException.Network($"{target}: {Dialer.Describe(e)}");
        }
        throw EchoFailureException.Network(
            $"no echo from {target} after {retries + 1} attempt(s), {Dialer.Describe(timeout)} each " +
            "(is UDP echo enabled there? a server may also refuse a source port or rate-limit a source)");
    }
}

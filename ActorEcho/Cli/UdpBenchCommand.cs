using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using ActorEcho.Bench;
using ActorEcho.Hosting;

namespace ActorEcho.Cli;

/// <summary>
/// <c>bench --udp ADDRESS</c>: request/response over UDP (see <see cref="UdpBenchRunner"/>): echoes per second,
/// loss and latency percentiles, every byte checked. <c>--connections</c> is the number of sockets and
/// <c>--timeout</c> how long to wait for an echo before counting its datagram lost (default 1 s).
/// </summary>
public sealed class UdpBenchCommand
{
    public static readonly TimeSpan DefaultLossTimeout = TimeSpan.FromSeconds(1);

    public Option<bool> UdpOption { get; } = new("--udp", "-u")
    {
        Description = "Use UDP, request/response: --connections sockets each send a datagram of --size bytes (12 to 65507) " +
                      "and wait for its echo; --timeout counts it lost (default 1s); reports loss too",
    };

    public UdpBenchCommand AddTo(Command command)
    {
        command.Options.Add(UdpOption);
        return this;
    }

    public bool IsRequested(ParseResult result) => result.GetValue(UdpOption);

    public async Task<int> RunAsync(string address, string mode, int sockets, int size, TimeSpan? duration, TimeSpan? warmup,
        TimeSpan? lossTimeout, bool json)
    {
        if (mode != "pingpong")
            return ExitCodes.Report(ExitCodes.BadInput, "--udp measures request/response only; --mode stream is for TCP");
        if (size is < UdpBenchRunner.HeaderSize or > UdpEchoClient.MaxDatagram)
            return ExitCodes.Report(ExitCodes.BadInput, $"--size must be from {UdpBenchRunner.HeaderSize} to {UdpEchoClient.MaxDatagram} bytes with --udp, not {size}");

        using var interrupt = new CancellationTokenSource();
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            var endpoint = await Connector.ResolveAsync(address);
            var result = await UdpBenchRunner.RunAsync(endpoint, address.Trim(), sockets, size,
                duration ?? TimeSpan.FromSeconds(10), warmup ?? TimeSpan.Zero, lossTimeout ?? DefaultLossTimeout, interrupt.Token);
            if (json)
                Console.Out.WriteLine(JsonSerializer.Serialize(result, UdpBenchJsonContext.Default.UdpBenchResult));
            else
                result.Write(Console.Out, "udp " + EndpointParser.Format(endpoint));
            return ExitCodes.Ok;
        }
        catch (EchoFailureException failure)
        {
            return EchoFailureExit.Report(failure);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            return ExitCodes.Report(ExitCodes.Interrupted, "interrupted before the measured period began");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ExitCodes.ReportUnexpected(e);
        }

        void OnSignal(PosixSignalContext context)
        {
            if (interrupt.IsCancellationRequested)
                return;
            context.Cancel = true;
            interrupt.Cancel();
        }
    }
}

using System.CommandLine;
using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>
/// <c>bench --udp ADDRESS</c>: request/response over UDP (see <see cref="UdpBenchRunner"/>): echoes per second,
/// loss and latency percentiles, every byte checked. <c>--connections</c> is the number of sockets and
/// <c>--timeout</c> how long to wait for an echo before counting its datagram lost
/// (<see cref="UdpBenchRunner.DefaultLossTimeout"/>). The bench command owns the other options and passes their
/// values in.
/// </summary>
internal sealed class UdpBenchCommand
{
    private readonly Option<bool> _udp = new("--udp", "-u")
    {
        Description = $"Use UDP, request/response: --connections sockets each send a datagram of --size bytes " +
                      $"({UdpBenchRunner.HeaderSize} to {UdpBenchRunner.MaxDatagramSize}) and wait for its echo; --timeout " +
                      $"counts it lost (default {Dialer.Describe(UdpBenchRunner.DefaultLossTimeout)}); reports loss too",
    };

    /// <summary>Adds <c>--udp</c> to the bench command.</summary>
    public UdpBenchCommand(Command bench) => bench.Options.Add(_udp);

    public bool IsRequested(ParseResult result) => result.GetValue(_udp);

    /// <summary>What the bench command's options asked for; nulls take the defaults.</summary>
    public sealed record Request(string Address, BenchMode Mode, int Sockets, int Size, TimeSpan? Duration,
        TimeSpan? Warmup, TimeSpan? LossTimeout, bool Json, string? ReportPath);

    public async Task<int> RunAsync(Request request)
    {
        if (request.Mode != BenchMode.PingPong)
            return ExitCodes.Report(ExitCodes.BadInput, $"--udp measures request/response only; --mode {request.Mode.Name()} is for TCP");
        if (request.Size is < UdpBenchRunner.HeaderSize or > UdpBenchRunner.MaxDatagramSize)
            return ExitCodes.Report(ExitCodes.BadInput,
                $"--size must be from {UdpBenchRunner.HeaderSize} to {UdpBenchRunner.MaxDatagramSize} bytes with --udp, not {request.Size}");

        return await BenchInterrupt.RunAsync(async cancellationToken =>
        {
            var endpoint = await TargetAddress.ResolveAsync(request.Address);
            var result = await UdpBenchRunner.RunAsync(endpoint, request.Address.Trim(), request.Sockets, request.Size,
                request.Duration ?? BenchOptions.DefaultDuration, request.Warmup ?? BenchOptions.DefaultWarmup,
                request.LossTimeout ?? UdpBenchRunner.DefaultLossTimeout, cancellationToken);
            if (request.ReportPath is { } report)
                HtmlReport.Write(report, "bench --udp " + request.Address.Trim(), [ReportRun.From(result, request.Address.Trim())]);
            if (request.Json)
                result.WriteJson(Console.Out);
            else
                result.Write(Console.Out, "udp " + Dialer.Describe(endpoint));
            return ExitCodes.Ok;
        });
    }
}

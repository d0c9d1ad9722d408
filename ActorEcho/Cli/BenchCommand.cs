using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>
/// <c>bench ADDRESS [options]</c>: drives any TCP echo server with N connections in pingpong or stream mode,
/// checks every echoed byte, and reports rates and latency percentiles (text, or one JSON object with --json).
/// Defaults come from <see cref="BenchOptions"/>. With <c>--udp</c>, request/response over UDP instead
/// (<see cref="UdpBenchCommand"/>).
/// </summary>
public sealed class BenchCommand : Command
{
    private const int MaxConnections = 100_000;
    private const int MaxMessageSize = 64 * 1024 * 1024;

    private readonly Argument<string> _address = new("address")
    {
        Description = "Echo server to load: host:port or [ipv6]:port",
    };

    private readonly Option<int> _connections = new("--connections", "-c")
    {
        Description = "Concurrent connections",
        HelpName = "N",
        DefaultValueFactory = _ => BenchOptions.DefaultConnections,
    };

    private readonly Option<int> _size = new("--size", "-s")
    {
        Description = "Message size in bytes (64, 16k, 1m)",
        HelpName = "BYTES",
        DefaultValueFactory = _ => BenchOptions.DefaultMessageSize,
        CustomParser = CommandLineValues.ParseByteSize,
    };

    private readonly Option<TimeSpan?> _duration = CommandLineValues.DurationOption("--duration", "-d",
        $"How long to measure, in seconds or with a unit: 10, 500ms, 1m (default {Dialer.Describe(BenchOptions.DefaultDuration)})");

    private readonly Option<TimeSpan?> _warmup = CommandLineValues.DurationOption("--warmup", "-w",
        $"Load before measuring starts, not counted in the results (default {Dialer.Describe(BenchOptions.DefaultWarmup)})");

    // No default factory: help would show the enum's own spelling; an absent mode is BenchMode's zero value.
    private readonly Option<BenchMode> _mode = new("--mode", "-m")
    {
        Description = "pingpong: send a message, wait for its echo, repeat; stream: keep a window of bytes in flight " +
                      $"[default: {default(BenchMode).Name()}]",
        CustomParser = ParseMode,
    };

    private readonly Option<int?> _window = new("--window")
    {
        Description = "Stream mode: most bytes in flight per connection, at least --size " +
                      $"(default {CommandLineValues.FormatByteSize(BenchOptions.DefaultWindow)}, or --size if larger)",
        HelpName = "BYTES",
        CustomParser = CommandLineValues.ParseOptionalByteSize,
    };

    private readonly Option<TimeSpan?> _timeout = CommandLineValues.DurationOption("--timeout", "-t",
        $"Connect timeout per connection (default {Dialer.Describe(BenchOptions.DefaultConnectTimeout)})");

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Print the result as one JSON object on stdout (and nothing else there)",
    };

    private readonly Option<string?> _report = new("--report")
    {
        Description = "Also write an HTML report to FILE: latency by percentile, throughput over the run, the run's " +
                      "parameters (one self-contained file, works offline); see also 'bench compare'",
        HelpName = "FILE",
    };

    private readonly UdpBenchCommand _udp;
    private readonly TlsBenchCommand _tls;

    public BenchCommand() : base("bench", "Load an echo server (any, not only this one) and report throughput and latency")
    {
        Arguments.Add(_address);
        foreach (var option in new Option[] { _connections, _size, _duration, _warmup, _mode, _window, _timeout, _json, _report })
            Options.Add(option);

        _mode.AcceptOnlyFromAmong([.. BenchModes.Names]);
        CommandLineValues.Check(_connections, value => value is < 1 or > MaxConnections
            ? $"--connections must be from 1 to {MaxConnections}, not {value}." : null);
        CommandLineValues.Check(_size, value => value is < 1 or > MaxMessageSize
            ? $"--size must be from 1 byte to {BenchReport.Bytes(MaxMessageSize)}, not {value}." : null);
        CommandLineValues.Check(_window, value => value < 1 ? "--window must be at least 1 byte." : null);
        CommandLineValues.CheckPositive(_duration);
        CommandLineValues.CheckPositive(_timeout);
        Validators.Add(result =>
        {
            // Only a window given on the command line can be too small: the default grows to fit (BenchOptions).
            try
            {
                if (result.GetValue(_mode) == BenchMode.Stream && result.GetValue(_window) is { } window
                    && window < result.GetValue(_size))
                    result.AddError("--window must be at least --size: the window has to hold one whole message.");
            }
            catch (InvalidOperationException)
            {
                // One of these options has its own parse error, which is reported instead.
            }
        });
        _udp = new UdpBenchCommand(this);
        _tls = new TlsBenchCommand(this);
        Subcommands.Add(new BenchCompareCommand());
        SetAction((result, _) =>
            // A report that could not be saved is known before the load, not after a long run.
            result.GetValue(_report) is { } report && ReportFile.Check(report) is { } unwritable
                ? Task.FromResult(ExitCodes.Report(ExitCodes.BadInput, unwritable))
            : _udp.IsRequested(result) ? _udp.RunAsync(UdpRequest(result))
            : _tls.IsRequested(result) ? _tls.RunAsync(result, TlsRequest(result))
            : RunAsync(result));
    }

    /// <summary>By the mode's own name, not the enum's (AcceptOnlyFromAmong has already rejected other words).</summary>
    private static BenchMode ParseMode(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!BenchModes.TryParse(text, out var mode))
            result.AddError($"--mode must be {string.Join(" or ", BenchModes.Names)}, not '{text}'.");
        return mode;
    }

    /// <summary>The same options, for <c>--udp</c>: connections are sockets and the timeout is the loss timeout.</summary>
    private UdpBenchCommand.Request UdpRequest(ParseResult result) => new(
        result.GetRequiredValue(_address), result.GetValue(_mode), result.GetValue(_connections), result.GetValue(_size),
        result.GetValue(_duration), result.GetValue(_warmup), result.GetValue(_timeout), result.GetValue(_json),
        result.GetValue(_report));

    /// <summary>The same options, for <c>--tls</c> (<see cref="TlsBenchCommand"/>).</summary>
    private TlsBenchCommand.Request TlsRequest(ParseResult result) => new(
        result.GetRequiredValue(_address), result.GetValue(_mode), result.GetValue(_connections), result.GetValue(_size),
        result.GetValue(_duration), result.GetValue(_warmup), result.GetValue(_timeout), result.GetValue(_json),
        result.GetValue(_report));

    private async Task<int> RunAsync(ParseResult result)
    {
        return await BenchInterrupt.RunAsync(async cancellationToken =>
        {
            var address = result.GetRequiredValue(_address);
            var options = new BenchOptions
            {
                Target = address.Trim(),
                Endpoint = await TargetAddress.ResolveAsync(address),
                Mode = result.GetValue(_mode),
                Connections = result.GetValue(_connections),
                MessageSize = result.GetValue(_size),
                Window = result.GetValue(_window),
                Duration = result.GetValue(_duration) ?? BenchOptions.DefaultDuration,
                Warmup = result.GetValue(_warmup) ?? BenchOptions.DefaultWarmup,
                ConnectTimeout = result.GetValue(_timeout) ?? BenchOptions.DefaultConnectTimeout,
            };

            using var progress = Console.IsErrorRedirected ? null : new ProgressLine(Console.Error);
            var outcome = await BenchRunner.RunAsync(options, progress is null ? null : progress.Show, cancellationToken);
            progress?.Clear();

            if (result.GetValue(_report) is { } report)
                HtmlReport.Write(report, "bench " + options.Target, [ReportRun.From(outcome, options.Target)]);
            if (result.GetValue(_json))
                BenchReport.WriteJson(Console.Out, outcome);
            else
                BenchReport.Write(Console.Out, outcome, Dialer.Describe(options.Endpoint));
            return ExitCodes.Ok;
        });
    }

    /// <summary>The live progress line on a terminal: rewritten in place every second, erased at the end.</summary>
    private sealed class ProgressLine(TextWriter terminal) : IDisposable
    {
        private int _width;

        public void Show(BenchProgress progress)
        {
            var text = string.Create(CultureInfo.InvariantCulture,
                $"  {progress.Elapsed.TotalSeconds,5:0}s{(progress.WarmingUp ? " (warmup)" : "")}  {progress.MessagesPerSecond,12:N0} msg/s  {progress.MegabytesPerSecond,9:N2} MB/s each way");
            terminal.Write('\r' + text.PadRight(_width));
            terminal.Flush();
            _width = text.Length;
        }

        public void Clear()
        {
            if (_width == 0)
                return;
            terminal.Write('\r' + new string(' ', _width) + '\r');
            terminal.Flush();
            _width = 0;
        }

        public void Dispose() => Clear();
    }
}

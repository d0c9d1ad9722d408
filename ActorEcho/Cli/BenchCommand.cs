using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ActorEcho.Bench;
using ActorEcho.Networking;

namespace ActorEcho.Cli;

/// <summary>
/// <c>bench ADDRESS [options]</c>: drives any TCP echo server with N connections in pingpong or stream mode,
/// checks every echoed byte, and reports rates and latency percentiles (text, or one JSON object with --json).
/// </summary>
public static class BenchCommand
{
    public const int MaxConnections = 100_000;
    public const int MaxMessageSize = 64 * 1024 * 1024;

    public static readonly Argument<string> AddressArgument = new("address")
    {
        Description = "Echo server to load: host:port or [ipv6]:port",
    };

    public static readonly Option<int> ConnectionsOption = new("--connections", "-c")
    {
        Description = "Concurrent connections",
        HelpName = "N",
        DefaultValueFactory = _ => 10,
    };

    public static readonly Option<int> SizeOption = new("--size", "-s")
    {
        Description = "Message size in bytes (64, 16k, 1m)",
        HelpName = "BYTES",
        DefaultValueFactory = _ => 64,
        CustomParser = CommandLineValues.ParseByteSize,
    };

    public static readonly Option<TimeSpan?> DurationOption = new("--duration", "-d")
    {
        Description = "How long to measure, in seconds or with a unit: 10, 500ms, 1m (default 10s)",
        HelpName = "DURATION",
        CustomParser = CommandLineValues.ParseOptionalDuration,
    };

    public static readonly Option<TimeSpan?> WarmupOption = new("--warmup", "-w")
    {
        Description = "Load before measuring starts, not counted in the results (default 0)",
        HelpName = "DURATION",
        CustomParser = CommandLineValues.ParseOptionalDuration,
    };

    public static readonly Option<string> ModeOption = new("--mode", "-m")
    {
        Description = "pingpong: send a message, wait for its echo, repeat; stream: keep a window of bytes in flight",
        DefaultValueFactory = _ => "pingpong",
    };

    public const int DefaultWindow = 256 * 1024;

    public static readonly Option<int?> WindowOption = new("--window")
    {
        Description = "Stream mode: most bytes in flight per connection, at least --size (default 256k, or --size if larger)",
        HelpName = "BYTES",
        CustomParser = CommandLineValues.ParseOptionalByteSize,
    };

    public static readonly Option<TimeSpan?> TimeoutOption = new("--timeout", "-t")
    {
        Description = "Connect timeout per connection (default 10s)",
        HelpName = "DURATION",
        CustomParser = CommandLineValues.ParseOptionalDuration,
    };

    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print the result as one JSON object on stdout (and nothing else there)",
    };

    static BenchCommand()
    {
        ModeOption.AcceptOnlyFromAmong("pingpong", "stream");
        CommandLineValues.Check(ConnectionsOption, value => value is < 1 or > MaxConnections
            ? $"--connections must be from 1 to {MaxConnections}, not {value}." : null);
        CommandLineValues.Check(SizeOption, value => value is < 1 or > MaxMessageSize
            ? $"--size must be from 1 byte to {BenchReport.Bytes(MaxMessageSize)}, not {value}." : null);
        CommandLineValues.Check(WindowOption, value => value < 1 ? "--window must be at least 1 byte." : null);
        CommandLineValues.Check(DurationOption, value => value is { } d && d <= TimeSpan.Zero ? "--duration must be more than 0." : null);
        CommandLineValues.Check(TimeoutOption, value => value is { } t && t <= TimeSpan.Zero ? "--timeout must be more than 0." : null);
    }

    public static Command Create()
    {
        var command = new Command("bench", "Load an echo server (any, not only this one) and report throughput and latency");
        command.Arguments.Add(AddressArgument);
        foreach (var option in new Option[] { ConnectionsOption, SizeOption, DurationOption, WarmupOption, ModeOption, WindowOption, TimeoutOption, JsonOption })
            command.Options.Add(option);
        command.Validators.Add(result =>
        {
            // Only a window given on the command line can be too small: the default grows to fit (see RunAsync).
            try
            {
                if (result.GetValue(ModeOption) == "stream" && result.GetValue(WindowOption) is { } window
                    && window < result.GetValue(SizeOption))
                    result.AddError("--window must be at least --size: the window has to hold one whole message.");
            }
            catch (InvalidOperationException)
            {
                // One of these options has its own parse error, which is reported instead.
            }
        });
        command.SetAction((result, _) => RunAsync(result));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result)
    {
        // The first Ctrl-C (or SIGTERM) ends the run early and still reports what was measured; a second one is
        // left to its default and ends the process.
        using var interrupt = new CancellationTokenSource();
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var json = result.GetValue(JsonOption);
        var size = result.GetValue(SizeOption);
        try
        {
            var address = result.GetRequiredValue(AddressArgument);
            var options = new BenchOptions
            {
                Target = address.Trim(),
                Endpoint = await Connector.ResolveAsync(address),
                Mode = result.GetValue(ModeOption) == "stream" ? BenchMode.Stream : BenchMode.PingPong,
                Connections = result.GetValue(ConnectionsOption),
                MessageSize = size,
                Window = result.GetValue(WindowOption) ?? Math.Max(DefaultWindow, size),
                Duration = result.GetValue(DurationOption) ?? TimeSpan.FromSeconds(10),
                Warmup = result.GetValue(WarmupOption) ?? TimeSpan.Zero,
                ConnectTimeout = result.GetValue(TimeoutOption) ?? TimeSpan.FromSeconds(10),
            };

            using var progress = Console.IsErrorRedirected ? null : new ProgressLine(Console.Error);
            var outcome = await BenchRunner.RunAsync(options, progress is null ? null : progress.Show, interrupt.Token);
            progress?.Clear();

            if (json)
                Console.Out.WriteLine(JsonSerializer.Serialize(outcome, BenchJsonContext.Default.BenchResult));
            else
                BenchReport.Write(Console.Out, outcome, EndpointParser.Format(options.Endpoint));
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

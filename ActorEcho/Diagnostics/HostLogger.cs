using ActorEcho.Limits;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace ActorEcho.Diagnostics;

/// <summary>
/// Akka's log events, handed to the host's Microsoft.Extensions.Logging (console on stderr, text or JSON:
/// <see cref="HostLogging"/>). Configured in <c>akka.hocon</c> as <c>akka.loggers</c>. Each event keeps its
/// template's named values as fields (<c>Accepting connection from {Remote}</c> gives a <c>Remote</c> field in
/// JSON). An actor system without the host's <see cref="HostLogSetup"/> (the specs' own) writes Akka's usual line
/// to stderr instead.
/// Not Akka.Hosting's <c>ConfigureLoggers(setup => setup.AddLoggerFactory())</c>: run on this host's logging (1.5.74,
/// text and JSON), it logged every event under the one category <c>Akka.Actor.ActorSystem</c> with Akka's own line
/// (<c>[INFO][time][Thread 0005][akka://...] ...</c>) as the message and an empty JSON <c>State</c>, losing the
/// per-class categories and the template's fields (HostingEndToEndSpec reads <c>State.Remote</c>), and it cannot hold
/// the log back during start-up (<see cref="StartupLog"/>).
/// </summary>
/// <remarks>Akka.IO's listener warns once per failed accept, and retries each of its queued accepts every 10 ms: out
/// of file descriptors, that was 1,180 lines in about a second. Those warnings are counted here instead and summed
/// up in at most one line per <see cref="AcceptFailureInterval"/> (<see cref="DropLog"/>, as the refusals are).</remarks>
public sealed class HostLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>, IWithTimers
{
    /// <summary>Akka.IO 1.5.74's <c>TcpListener</c> warning for each retried accept; its reason follows.</summary>
    private const string AcceptRetryPrefix = "Retriable socket error in TcpListener: ";
    private const string AcceptRetryCategory = "Akka.IO.TcpListener";
    private static readonly TimeSpan AcceptFailureInterval = TimeSpan.FromSeconds(10);

    /// <summary>Timer: the accept failures counted since the last line get theirs.</summary>
    private sealed class FlushAcceptFailures
    {
        public static readonly FlushAcceptFailures Instance = new();
        private FlushAcceptFailures() { }
    }

    private readonly HostLogSetup? _setup = Context.System.Settings.Setup.Get<HostLogSetup>().GetOrElse(null!);
    private readonly Dictionary<string, ILogger> _loggers = [];
    private readonly DropLog _acceptFailures;

    public ITimerScheduler Timers { get; set; } = null!;

    public HostLogger() => _acceptFailures = new DropLog(AcceptFailureInterval, TimeProvider.System, WriteAcceptFailures,
        "Accept failed (Akka.IO retries in 10 ms):");

    protected override void PostStop() => _acceptFailures.Flush();

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent logEvent when AcceptRetryReason(logEvent) is { } reason:
                _acceptFailures.Dropped(reason, logEvent.LogSource);
                if (!Timers.IsTimerActive(FlushAcceptFailures.Instance))
                    Timers.StartSingleTimer(FlushAcceptFailures.Instance, FlushAcceptFailures.Instance, AcceptFailureInterval);
                return true;
            case FlushAcceptFailures:
                _acceptFailures.Flush();
                return true;
            case LogEvent logEvent when _setup is null:
                Console.Error.WriteLine(logEvent.ToString());
                return true;
            case LogEvent logEvent:
                var logger = LoggerFor(logEvent);
                var entry = new Entry(logEvent);
                _setup.Startup.Write(() => logger.Log(LevelOf(logEvent.LogLevel()), default, entry, logEvent.Cause, Entry.Format));
                return true;
            default:
                return false;
        }
    }

    /// <summary>The socket error of Akka.IO's per-retry accept warning (<c>TooManyOpenSockets</c>), or null for any
    /// other event.</summary>
    private static string? AcceptRetryReason(LogEvent logEvent)
    {
        if (logEvent is not Warning || logEvent.LogClass?.FullName != AcceptRetryCategory)
            return null;
        var text = logEvent.Message?.ToString() ?? "";
        if (!text.StartsWith(AcceptRetryPrefix, StringComparison.Ordinal))
            return null;
        var reason = text[AcceptRetryPrefix.Length..];
        var end = reason.IndexOf(' ', StringComparison.Ordinal);
        return end < 0 ? reason : reason[..end];
    }

    private void WriteAcceptFailures(string line)
    {
        if (_setup is null)
        {
            Console.Error.WriteLine(line);
            return;
        }
        var logger = _setup.LoggerFactory.CreateLogger(AcceptRetryCategory);
        // The plain state and formatter, as every other line: LogWarning's template formatter would load an assembly
        // (System.Numerics.Vectors) at the first summary, when no descriptor may be left to open it with.
        _setup.Startup.Write(() => logger.Log(LogLevel.Warning, default, line, null, static (text, _) => text));
    }

    /// <summary>One category per logging class (<c>ActorEcho.TcpEcho.EchoListener</c>), as .NET code logs.</summary>
    private ILogger LoggerFor(LogEvent logEvent)
    {
        var category = logEvent.LogClass?.FullName ?? "Akka";
        if (!_loggers.TryGetValue(category, out var logger))
            _loggers[category] = logger = _setup!.LoggerFactory.CreateLogger(category);
        return logger;
    }

    private static LogLevel LevelOf(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogLevel.Debug,
        AkkaLogLevel.InfoLevel => LogLevel.Information,
        AkkaLogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };

    /// <summary>The state Microsoft's formatters read: the template's named values, the source, the template.</summary>
    private sealed class Entry : List<KeyValuePair<string, object?>>
    {
        private readonly string _message;

        public Entry(LogEvent logEvent)
        {
            _message = logEvent.Message is LogMessage formatted ? formatted.ToString()! : logEvent.Message?.ToString() ?? "";
            if (logEvent.TryGetProperties(out var properties) && properties is not null)
                foreach (var (name, value) in properties)
                    Add(new(name, value));
            Add(new("LogSource", logEvent.LogSource));
            Add(new("{OriginalFormat}", logEvent.GetTemplate()));
        }

        public static string Format(Entry entry, Exception? _) => entry._message;

        public override string ToString() => _message;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ActorEcho.Diagnostics;

/// <summary>
/// The host's logging: every event on stderr (stdout carries only the <c>Listening on</c> lines that scripts read),
/// through Microsoft.Extensions.Logging's console logger. Akka's events arrive through <see cref="HostLogger"/>; the
/// framework's own (hosting, Kestrel) are left out, as the server reports its start and failures itself.
/// </summary>
public static class HostLogging
{
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    public static void Configure(ILoggingBuilder logging, LogFormat format)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Debug); // akka.loglevel decides what Akka sends
        logging.AddFilter("Microsoft", LogLevel.None);
        // Each Add...Console also names its formatter as the console logger's: add only the chosen one.
        if (format == LogFormat.Json)
            logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "O";
            });
        else
            logging.AddSimpleConsole(simple =>
            {
                simple.SingleLine = true;
                simple.UseUtcTimestamp = true;
                simple.TimestampFormat = TimestampFormat;
            });
        logging.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}

using ActorEcho.Diagnostics;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.IO;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace ActorEcho.Tests.Diagnostics;

/// <summary>
/// The host's Akka logger (<see cref="HostLogger"/>) turns Akka.IO's accept-retry warning, one per failed accept every
/// 10 ms while descriptors are exhausted, into a summary: the first at once, the rest counted into one line per interval
/// (here written when the logger stops). Every other event passes through as it came.
/// </summary>
public sealed class HostLoggerSpec
{
    private const string Retry = "Retriable socket error in TcpListener: TooManyOpenSockets Too many open files";

    [Fact]
    public async Task Akka_IOs_per_retry_accept_warnings_become_one_counted_summary_line()
    {
        var provider = new FakeLoggerProvider();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(provider).SetMinimumLevel(MsLogLevel.Debug));
        var startup = new StartupLog();
        startup.Release();
        var setup = BootstrapSetup.Create()
            .WithConfig(ConfigurationFactory.ParseString("""
                akka.loggers = ["ActorEcho.Diagnostics.HostLogger, ActorEcho"]
                akka.loglevel = INFO
                akka.stdout-loglevel = OFF
                """))
            .And(new HostLogSetup(factory, startup));
        var system = ActorSystem.Create("host-logger-spec", setup);
        var tcpListener = typeof(Tcp).Assembly.GetType("Akka.IO.TcpListener", throwOnError: true)!;

        for (var i = 0; i < 500; i++)
            system.EventStream.Publish(new Warning("akka://host-logger-spec/system/IO-TCP/selectors/$a/0", tcpListener, Retry));
        system.EventStream.Publish(new Warning("spec", typeof(HostLoggerSpec), "an ordinary warning"));

        // The logger handles events in order: once the ordinary warning is out, all 500 were handled.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!provider.Collector.GetSnapshot().Any(record => record.Message == "an ordinary warning"))
            await Task.Delay(20, deadline.Token);
        var first = AcceptLines(provider);
        Assert.Equal(["Accept failed (Akka.IO retries in 10 ms): 1 TooManyOpenSockets"], first.Select(Prefix));

        await system.Terminate();
        var all = AcceptLines(provider);
        Assert.Equal(2, all.Count);
        Assert.StartsWith("Accept failed (Akka.IO retries in 10 ms): 499 TooManyOpenSockets", all[1]);
        Assert.DoesNotContain(provider.Collector.GetSnapshot(), record => record.Message.StartsWith("Retriable", StringComparison.Ordinal));
    }

    private static List<string> AcceptLines(FakeLoggerProvider provider) =>
        provider.Collector.GetSnapshot()
            .Where(record => record.Category == "Akka.IO.TcpListener")
            .Select(record => record.Message)
            .ToList();

    /// <summary>The line up to its "(last from ...)" part.</summary>
    private static string Prefix(string line) => line[..line.IndexOf(" (last from", StringComparison.Ordinal)];
}

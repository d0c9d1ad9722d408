using Akka.Actor.Setup;
using Microsoft.Extensions.Logging;

namespace ActorEcho.Diagnostics;

/// <summary>What <see cref="HostLogger"/> needs from the host: its logger factory and the start-up gate.</summary>
public sealed class HostLogSetup(ILoggerFactory loggerFactory, StartupLog startup) : Setup
{
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;
    public StartupLog Startup { get; } = startup;
}

using System.Runtime.InteropServices;

namespace ActorEcho.Hosting;

/// <summary>
/// The server's one signal path: SIGINT (Ctrl-C), SIGTERM and SIGQUIT (which the generic host's console lifetime
/// also took as a stop) ask for the graceful shutdown, from the moment <c>serve</c> starts until the process exits. A
/// signal that arrives while the server is still starting is kept, and the drain runs once it has started. Each
/// signal's default handling is cancelled, so the runtime does not exit before the drain is done; a repeated signal
/// changes nothing (the drain under way goes on). Nothing else handles signals: the host's lifetime
/// (<see cref="SystemdNotify"/>) does not, and Akka's CoordinatedShutdown is not run by the CLR's exit
/// (<c>run-by-clr-shutdown-hook = off</c>, <see cref="ActorEchoHosting"/>).
/// SIGHUP asks for a reload of the settings (<see cref="ReloadRequested"/>, which <c>serve</c> hands to
/// <see cref="SettingsReload"/> once the server is up); its default handling, the end of the process, is cancelled
/// too, so a SIGHUP while starting is only logged.
/// </summary>
public sealed class ShutdownSignals
{
    private static readonly Lazy<ShutdownSignals> Registered = new(() => new ShutdownSignals());

    private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Never disposed: a signal repeated while the process exits, after the drain, must still be cancelled
    /// rather than end the process with the runtime's default (exit 143).</summary>
    private readonly PosixSignalRegistration[] _registrations;

    private ShutdownSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnReloadSignal),
        ];
    }

    /// <summary>The process's signals, registered at the first call and kept until it exits.</summary>
    public static ShutdownSignals ForProcess() => Registered.Value;

    /// <summary>Completes at the first signal.</summary>
    public Task Requested => _requested.Task;

    /// <summary>Raised on the signal's thread at each SIGHUP; the handler must return at once (it hands the reload on).</summary>
    public event Action? ReloadRequested;

    private void OnReloadSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (ReloadRequested is { } reload)
            reload();
        else
            Console.Error.WriteLine("actor-echo: reload ignored: the server is still starting");
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _requested.TrySetResult();
    }
}

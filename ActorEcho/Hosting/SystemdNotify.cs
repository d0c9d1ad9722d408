using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace ActorEcho.Hosting;

/// <summary>
/// The host's lifetime: systemd's readiness protocol (<c>Type=notify</c>), READY=1 once the host has started (every
/// listener bound) and STOPPING=1 as its shutdown begins, wherever <c>NOTIFY_SOCKET</c> is set (systemd, a
/// container's init, the process spec), and nothing elsewhere. Unlike the generic host's console and systemd
/// lifetimes it handles no signal: <see cref="ShutdownSignals"/> is the server's one signal path.
/// </summary>
internal sealed class SystemdNotify(IHostApplicationLifetime lifetime) : IHostLifetime, IDisposable
{
    /// <summary>Sends nothing where <c>NOTIFY_SOCKET</c> is not set.</summary>
    private readonly SystemdNotifier _notifier = new();
    private CancellationTokenRegistration _started;
    private CancellationTokenRegistration _stopping;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _started = lifetime.ApplicationStarted.Register(() => _notifier.Notify(ServiceState.Ready));
        _stopping = lifetime.ApplicationStopping.Register(() => _notifier.Notify(ServiceState.Stopping));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _started.Dispose();
        _stopping.Dispose();
    }
}

using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace ActorEcho.Hosting;

/// <summary>
/// systemd's readiness protocol (<c>Type=notify</c>): READY=1 once the host has started (every listener bound),
/// STOPPING=1 when shutdown begins. <c>UseSystemd()</c> turns it on only when systemd is the parent process; a
/// supervisor that sets <c>NOTIFY_SOCKET</c> otherwise (a container's init, the process spec) gets the same
/// lifetime here.
/// </summary>
internal static class SystemdNotify
{
    public static void AddWhereverNotifySocketIsSet(IServiceCollection services)
    {
        if (SystemdHelpers.IsSystemdService() || string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")))
            return;
        services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddSingleton<IHostLifetime, SystemdLifetime>();
    }
}

/// <summary>Ctrl-C asks for the graceful shutdown, as SIGTERM does: systemd's lifetime handles SIGTERM only.</summary>
internal sealed class InterruptSignal(IHostApplicationLifetime lifetime) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            lifetime.StopApplication();
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _registration?.Dispose();
}

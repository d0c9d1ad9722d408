using System.Runtime.InteropServices;
using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>
/// A bench run's Ctrl-C (SIGINT) and SIGTERM: the first one cancels <see cref="Token"/>, so the run ends early and
/// still reports what it measured; a second one is left to its default and ends the process. Shared by
/// <c>bench</c> over TCP and over UDP.
/// </summary>
internal sealed class BenchInterrupt : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration _onInterrupt;
    private readonly PosixSignalRegistration _onTerminate;

    public BenchInterrupt()
    {
        _onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Runs one bench (TCP or UDP) under a fresh interrupt and turns how it ended into the exit code: an
    /// echo failure as its kind says, an interrupt before anything was measured as <see cref="ExitCodes.Interrupted"/>,
    /// anything unforeseen as one line.</summary>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> bench)
    {
        using var interrupt = new BenchInterrupt();
        try
        {
            return await bench(interrupt.Token);
        }
        catch (EchoFailureException failure)
        {
            return EchoFailureExit.Report(failure);
        }
        catch (OperationCanceledException) when (interrupt.IsRequested)
        {
            return ExitCodes.Report(ExitCodes.Interrupted, "interrupted before the measured period began");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ExitCodes.ReportUnexpected(e);
        }
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _requested.Token;

    public bool IsRequested => _requested.IsCancellationRequested;

    private void OnSignal(PosixSignalContext context)
    {
        if (_requested.IsCancellationRequested)
            return;
        context.Cancel = true;
        _requested.Cancel();
    }

    public void Dispose()
    {
        // Signals first, so that none arrives at a disposed token source.
        _onInterrupt.Dispose();
        _onTerminate.Dispose();
        _requested.Dispose();
    }
}

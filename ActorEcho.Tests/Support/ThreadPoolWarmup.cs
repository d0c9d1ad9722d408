using System.Runtime.CompilerServices;

namespace ActorEcho.Tests.Support;

/// <summary>
/// Raises the thread pool's minimum before any test runs. With the default minimum (one thread per core: two
/// on the build machines) the start of a run starves the pool: every TestKit class builds its actor system
/// synchronously while the others already run on the same pool, and the pool adds threads only about once
/// per second. Measured: a 100 ms Task.Delay resumed after 800-1000 ms, long enough for a client that is
/// busy by every other measure to look idle to a server with a 300 ms idle timeout.
/// </summary>
internal static class ThreadPoolWarmup
{
    [ModuleInitializer]
    internal static void RaiseMinimumThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(completionPorts, 16));
    }
}

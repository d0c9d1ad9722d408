using System.Runtime.CompilerServices;
using ActorEcho.Tests.Support;

namespace ActorEcho.Models.Tests;

/// <summary>ActorEcho.Tests' raised thread-pool minimum (<see cref="ThreadPoolWarmup"/>), here before the first
/// spec starts: that assembly's own module initializer runs only once a spec first touches one of its types.</summary>
internal static class PoolWarmup
{
    [ModuleInitializer]
    internal static void RaiseMinimumThreads() => ThreadPoolWarmup.RaiseMinimumThreads();
}

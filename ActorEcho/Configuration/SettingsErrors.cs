using Akka.Configuration;

namespace ActorEcho.Configuration;

/// <summary>
/// The one test of whether an exception means "the settings are wrong", wherever settings are read: Akka.NET
/// 1.5.74's HOCON getters, Akka.IO's extensions as they read <c>akka.io.tcp</c> / <c>akka.io.udp</c>, and the
/// actor system as it starts. Those report a bad value with the runtime's own exception types (read from the
/// assembly), which the host turns into one <see cref="SettingsException"/> line (exit code 2).
/// </summary>
internal static class SettingsErrors
{
    /// <summary>ConfigurationException: a malformed value or section; FormatException, ArgumentException,
    /// OverflowException: a malformed or out-of-range number, size or duration; InvalidCastException,
    /// NotSupportedException: a value of the wrong form (an object where a string goes, a malformed boolean);
    /// InvalidOperationException: a size key without a value (<c>Nullable.Value</c>); NullReferenceException: a
    /// section that is not an object (<c>akka.io.tcp = 5</c>, in <c>HoconObject.MergeImmutable</c>);
    /// TypeLoadException: a class name that does not load.</summary>
    public static bool IsSettingsError(Exception e) =>
        e is ConfigurationException or FormatException or ArgumentException or OverflowException or InvalidCastException
            or NotSupportedException or InvalidOperationException or NullReferenceException or TypeLoadException;
}

using ActorEcho.Diagnostics;

namespace ActorEcho.TcpEcho;

/// <summary>The <c>reason</c> tag of <see cref="EchoMetrics.ConnectionsClosed"/>, one per <see cref="CloseReason"/>:
/// cached, so that recording a close allocates nothing. Beside the enum rather than in Diagnostics, which knows
/// nothing of connections.</summary>
public static class CloseReasonTags
{
    /// <summary>The <c>reason</c> tag for <paramref name="reason"/>.</summary>
    public static KeyValuePair<string, object?> Tag(CloseReason reason) => Tags[(int)reason];

    /// <summary>The <c>reason</c> tag's text: the member's name in kebab case (<c>PeerClosed</c>: <c>peer-closed</c>).</summary>
    public static string Text(CloseReason reason) => (string)Tags[(int)reason].Value!;

    /// <summary>Indexed by the enum's value: its members are numbered 0, 1, 2... in order.</summary>
    private static readonly KeyValuePair<string, object?>[] Tags = Enum.GetValues<CloseReason>()
        .Select(reason => new KeyValuePair<string, object?>("reason", KebabCase(reason.ToString())))
        .ToArray();

    private static string KebabCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? $"-{char.ToLowerInvariant(c)}" : $"{char.ToLowerInvariant(c)}"));
}

using ActorEcho.TcpEcho;

namespace ActorEcho.Tests.Actors;

/// <summary>Each <see cref="CloseReason"/> is reported under its documented <c>reason</c> tag (README, docs/security.md).</summary>
public sealed class CloseReasonSpec
{
    public static TheoryData<CloseReason, string> Tags => new()
    {
        { CloseReason.PeerClosed, "peer-closed" },
        { CloseReason.IdleTimeout, "idle-timeout" },
        { CloseReason.SlowReader, "slow-reader" },
        { CloseReason.Drained, "drained" },
        { CloseReason.DrainTimeout, "drain-timeout" },
        { CloseReason.Error, "error" },
        { CloseReason.Aborted, "aborted" },
        { CloseReason.Failed, "failed" },
        { CloseReason.Stopped, "stopped" },
        { CloseReason.ProxyHeaderTimeout, "proxy-header-timeout" },
        { CloseReason.ProxyHeaderInvalid, "proxy-header-invalid" },
        { CloseReason.Refused, "refused" },
        { CloseReason.HandshakeFailed, "handshake-failed" },
        { CloseReason.DurationLimit, "duration-limit" },
        { CloseReason.ByteLimit, "byte-limit" },
    };

    [Theory]
    [MemberData(nameof(Tags))]
    public void Each_reason_has_its_tag(CloseReason reason, string text)
    {
        var tag = CloseReasonTags.Tag(reason);
        Assert.Equal("reason", tag.Key);
        Assert.Equal(text, tag.Value);
    }

    [Fact]
    public void Every_reason_is_covered() =>
        Assert.Equal(Enum.GetValues<CloseReason>().Length, Tags.Count);
}

using ActorEcho.Actors;
using ActorEcho.Diagnostics;

namespace ActorEcho.Tests.Actors;

/// <summary>Each <see cref="CloseReason"/> is reported under its documented <c>reason</c> tag.</summary>
public sealed class CloseReasonSpec
{
    public static TheoryData<CloseReason, string> Tags => new()
    {
        { CloseReason.PeerClosed, EchoMetrics.Reasons.PeerClosed },
        { CloseReason.IdleTimeout, EchoMetrics.Reasons.IdleTimeout },
        { CloseReason.SlowReader, EchoMetrics.Reasons.SlowReader },
        { CloseReason.Drained, EchoMetrics.Reasons.Drained },
        { CloseReason.DrainTimeout, EchoMetrics.Reasons.DrainTimeout },
        { CloseReason.Error, EchoMetrics.Reasons.Error },
        { CloseReason.Aborted, EchoMetrics.Reasons.Aborted },
        { CloseReason.Failed, EchoMetrics.Reasons.Failed },
        { CloseReason.Stopped, EchoMetrics.Reasons.Stopped },
        { CloseReason.HandshakeFailed, EchoMetrics.Reasons.HandshakeFailed },
    };

    [Theory]
    [MemberData(nameof(Tags))]
    public void Each_reason_has_its_tag(CloseReason reason, string text)
    {
        var tag = EchoMetrics.ReasonTag(reason);
        Assert.Equal("reason", tag.Key);
        Assert.Equal(text, tag.Value);
    }

    [Fact]
    public void Every_reason_is_covered() =>
        Assert.Equal(Enum.GetValues<CloseReason>().Length, Tags.Count);
}

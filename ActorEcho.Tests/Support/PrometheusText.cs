using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorEcho.Tests.Support;

/// <summary>Reads samples out of a Prometheus text exposition (what <c>/metrics</c> serves).</summary>
internal static class PrometheusText
{
    /// <summary>The value of <paramref name="metric"/>'s sample (with that <c>reason</c> label, if given).</summary>
    public static double Sample(string exposition, string metric, string? reason = null)
    {
        var labels = reason is null ? @"(\{[^}]*\})?" : $@"\{{[^}}]*reason=""{Regex.Escape(reason)}""[^}}]*\}}";
        var match = Regex.Match(exposition, $@"^{metric}{labels} (?<value>\S+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"no sample of {metric} {reason}");
        return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
    }
}

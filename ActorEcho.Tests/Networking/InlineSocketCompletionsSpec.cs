using ActorEcho.Networking;

namespace ActorEcho.Tests.Networking;

/// <summary>Checked against a private environment: the runtime reads the real variable once per process, so
/// setting it here could switch inline completions on for other specs running beside this one. The effect on a
/// server is measured in docs/journal/issue-11-storms-frames-profile.md ("Profile per echoed frame").</summary>
public sealed class InlineSocketCompletionsSpec
{
    [Fact]
    public void Sets_the_runtime_variable_when_on_and_unset()
    {
        var environment = new Dictionary<string, string>();
        Apply(true, environment);
        Assert.Equal("1", environment[InlineSocketCompletions.RuntimeVariable]);
    }

    [Fact]
    public void Leaves_it_unset_when_off()
    {
        var environment = new Dictionary<string, string>();
        Apply(false, environment);
        Assert.Empty(environment);
    }

    [Fact]
    public void An_operators_explicit_variable_wins()
    {
        var environment = new Dictionary<string, string> { [InlineSocketCompletions.RuntimeVariable] = "0" };
        Apply(true, environment);
        Assert.Equal("0", environment[InlineSocketCompletions.RuntimeVariable]);
    }

    private static void Apply(bool enabled, Dictionary<string, string> environment) =>
        InlineSocketCompletions.Apply(enabled, name => environment.GetValueOrDefault(name), (name, value) => environment[name] = value);
}

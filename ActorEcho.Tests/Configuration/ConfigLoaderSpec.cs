using ActorEcho.Configuration;

namespace ActorEcho.Tests.Configuration;

public sealed class ConfigLoaderSpec
{
    [Theory]
    [InlineData("actor-echo.bind-address = ${?ACTOR_ECHO_BIND}", 1)]
    [InlineData("actor-echo {\n  bind-address = \"127.0.0.1:2000\"\n  bind-address = ${?ACTOR_ECHO_BIND}\n}", 3)]
    [InlineData("a = \"x\" ${?B}", 1)]
    public void Refuses_optional_substitutions_naming_the_line(string hocon, int line)
    {
        Assert.Equal(line, HoconChecker.FindOptionalSubstitution(hocon));
        var error = Assert.Throws<SettingsException>(() => ConfigLoader.Parse(hocon, "test.hocon"));
        Assert.Contains($"line {line}", error.Message);
        Assert.Contains("ACTOR_ECHO_BIND", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("# set ${?ACTOR_ECHO_BIND} in the environment")]
    [InlineData("a = 1 // not ${?HERE}")]
    [InlineData("a = \"literal ${?text}\"")]
    [InlineData("a = 1\nb = ${a}")]
    [InlineData("a = \"\"\"\n${?NOT_HERE}\n\"\"\"")]
    [InlineData("a = \"back\\\\\" # ${?NOT_HERE}")]
    public void Accepts_optional_substitution_text_in_comments_and_strings_and_required_substitutions(string hocon)
    {
        Assert.Null(HoconChecker.FindOptionalSubstitution(hocon));
        _ = ConfigLoader.Parse(hocon, "test.hocon");
    }

    [Theory]
    [InlineData("actor-echo { backlog = 1", 1)]
    [InlineData("actor-echo {\n  backlog = 1\n}\n}", 4)]
    [InlineData("a = [1, 2\nb = 3", 1)]
    [InlineData("a { b = [1, 2} ]", 1)]
    // A string that ends in an escaped backslash is closed by its quote: the brace after it is code.
    [InlineData("a = \"ends in a backslash \\\\\" }", 1)]
    // A triple-quoted string ends at the next triple quote, on another line: the brace after it is code.
    [InlineData("a = \"\"\"one\n\"two\"\n\"\"\"}", 3)]
    public void Refuses_unbalanced_braces_naming_the_line(string hocon, int line)
    {
        Assert.Equal(line, HoconChecker.FindUnbalancedBracket(hocon));
        var error = Assert.Throws<SettingsException>(() => ConfigLoader.Parse(hocon, "test.hocon"));
        Assert.Contains($"line {line}", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("a { b = \"{ not a brace\" }")]
    [InlineData("a { b = 1 } # }")]
    [InlineData("a = [ { b = 1 } ]")]
    [InlineData("a = \"x\\\\\", b = \"}\"")]
    [InlineData("a = \"say \\\"{\\\"\"")]
    [InlineData("a = \"\"\"\n  { \"quoted\" # not a comment\n\"\"\"\nb { c = 1 }")]
    [InlineData("a = \"\"\" ] \"\"\"")]
    public void Accepts_balanced_braces_and_braces_in_strings_and_comments(string hocon)
    {
        Assert.Null(HoconChecker.FindUnbalancedBracket(hocon));
        _ = ConfigLoader.Parse(hocon, "test.hocon");
    }

    [Fact]
    public void The_shipped_file_is_accepted_as_a_user_file()
    {
        var shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, ConfigLoader.DefaultFileName));
        var config = ConfigLoader.Parse(shipped, ConfigLoader.DefaultFileName);
        Assert.Equal(EchoSettings.Create(ConfigLoader.Defaults), EchoSettings.Create(config));
    }

    [Theory]
    [InlineData("actor-echo.max-conections = 5", "max-conections", "max-connections")]
    [InlineData("actor-echo { udp { max-source = 5 } }", "udp.max-source", "udp.max-sources")]
    [InlineData("actor-echo.lameduck = 5s", "lameduck", "lame-duck")]
    [InlineData("actor-echo.metrics.prometheus-endpoint = \"http://127.0.0.1:9464/metrics\"", "metrics.prometheus-endpoint", null)]
    [InlineData("actor-echo.colour-of-the-sky = blue", "colour-of-the-sky", null)]
    public void Refuses_an_unknown_actor_echo_key_naming_it_and_the_nearest_known_one(string hocon, string key, string? nearest)
    {
        var error = Assert.Throws<SettingsException>(() => ConfigLoader.Parse(hocon, "test.hocon"));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains($"unknown setting 'actor-echo.{key}'", error.Message);
        if (nearest is null)
            Assert.DoesNotContain("did you mean", error.Message);
        else
            Assert.Contains($"did you mean 'actor-echo.{nearest}'?", error.Message);
    }

    [Theory]
    // Keys of the shipped file, a section given a plain value and a key given an object (type errors that
    // EchoSettings reports with the expected form), and keys outside actor-echo (Akka's own, unchecked).
    [InlineData("actor-echo { max-connections = 5, udp.max-sources = 3 }")]
    [InlineData("actor-echo.udp = off")]
    [InlineData("actor-echo.backlog { a = 1 }")]
    [InlineData("akka.loglevel = DEBUG\nsomething-else.entirely = 1")]
    public void Accepts_known_keys_and_leaves_other_sections_alone(string hocon) =>
        _ = ConfigLoader.Parse(hocon, "test.hocon");

    [Fact]
    public void Known_keys_come_from_the_shipped_file()
    {
        var shipped = ConfigLoader.Defaults.GetConfig(EchoSettings.SectionName);
        Assert.True(shipped.HasPath("max-connections"));
        Assert.Equal(1, KnownKeys.EditDistance("max-conections", "max-connections"));
        Assert.Equal(0, KnownKeys.EditDistance("udp", "udp"));
        Assert.Equal(3, KnownKeys.EditDistance("kitten", "sitting"));
    }
}

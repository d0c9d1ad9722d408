using ActorEcho.Configuration;

namespace ActorEcho.Tests.Configuration;

/// <summary>What a reload compares and keeps (<see cref="ReloadRules"/>): the changed leaves, which need a restart,
/// the settings then in force, and secrets kept out of the log.</summary>
public sealed class ReloadRulesSpec
{
    private static Akka.Configuration.Config Load(string text) => ConfigLoader.Parse(text, "spec").WithFallback(ConfigLoader.Defaults);

    [Fact]
    public void Lists_only_the_leaves_that_changed_with_their_full_keys_and_values()
    {
        var inForce = Load("actor-echo { max-connections = 20, allow = [\"10.0.0.0/8\"] }");
        var loaded = Load("actor-echo { max-connections = 5, allow = [\"10.0.0.0/8\", \"192.0.2.0/24\"], idle-timeout = 5m }\nakka.loglevel = DEBUG");

        var changes = ReloadRules.Changes(inForce, loaded).Select(change => change.ToString()).ToList();

        Assert.Equal(
        [
            "actor-echo.allow: [10.0.0.0/8] -> [10.0.0.0/8, 192.0.2.0/24]",
            "actor-echo.max-connections: 20 -> 5",
            "akka.loglevel: INFO -> DEBUG",
        ], changes);
    }

    [Fact]
    public void A_key_removed_from_the_file_changes_back_to_its_default()
    {
        var changes = ReloadRules.Changes(Load("actor-echo.per-source.max-connections = 3"), Load(""));
        Assert.Equal("actor-echo.per-source.max-connections: 3 -> off", Assert.Single(changes).ToString());
    }

    [Theory]
    [InlineData("actor-echo.bind-address", true)]
    [InlineData("actor-echo.accept-queues", true)]
    [InlineData("actor-echo.drain-timeout", true)]
    [InlineData("actor-echo.udp.bind-address", true)]
    [InlineData("actor-echo.tls.bind-address", true)]
    [InlineData("akka.io.tcp.maximum-frame-size", true)]
    [InlineData("akka.actor.default-dispatcher.throughput", true)]
    [InlineData("akka.loglevel", false)]
    [InlineData("actor-echo.max-connections", false)]
    [InlineData("actor-echo.per-source.max-connections", false)]
    [InlineData("actor-echo.udp.per-source-packets-per-second", false)]
    [InlineData("actor-echo.tls.certificate", false)]
    public void Knows_which_keys_need_a_restart(string key, bool needsRestart) =>
        Assert.Equal(needsRestart, ReloadRules.NeedsRestart(key));

    [Fact]
    public void Never_shows_the_value_of_a_password_key()
    {
        var change = new ConfigChange("actor-echo.tls.pkcs12-password-env", "OLD_SECRET", "NEW_SECRET");
        Assert.DoesNotContain("SECRET", change.ToString());
    }

    [Fact]
    public void The_settings_in_force_keep_what_needs_a_restart_and_take_the_rest()
    {
        var inForce = EchoSettings.Create(ConfigLoader.Defaults) with { BindAddress = "127.0.0.1:4000" }; // from the command line
        var loaded = EchoSettings.Create(Load("actor-echo { bind-address = \"0.0.0.0:2000\", drain-timeout = 1s, max-connections = 9, idle-timeout = off }"));

        var effective = ReloadRules.Effective(loaded, inForce);

        Assert.Equal("127.0.0.1:4000", effective.BindAddress);
        Assert.Equal(inForce.DrainTimeout, effective.DrainTimeout);
        Assert.Equal(9, effective.MaxConnections);
        Assert.Null(effective.IdleTimeout);
    }

    [Fact]
    public void Tls_on_from_the_command_line_still_needs_a_certificate_in_the_file()
    {
        var inForce = EchoSettings.Create(Load("actor-echo.tls.certificate = self-signed")) is var s
            ? s with { Tls = s.Tls.WithBindAddress("127.0.0.1:0") }
            : throw new InvalidOperationException();
        var loaded = EchoSettings.Create(ConfigLoader.Defaults); // no certificate any more

        var error = Assert.Throws<SettingsException>(() => ReloadRules.Effective(loaded, inForce));
        Assert.Contains("certificate", error.Message);
    }
}

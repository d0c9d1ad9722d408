using System.Reflection;
using ActorEcho.Configuration;
using ActorEcho.Tests.Process;

namespace ActorEcho.Tests.Cli;

/// <summary><c>--version</c> prints the package version alone: no <c>+commit</c> suffix, nothing else on stdout
/// (the tool package's version, checked against the installed tool by .ci/tool-check.sh).</summary>
public sealed class VersionSpec
{
    [Fact]
    public async Task Version_prints_the_package_version_alone()
    {
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["--version"], CliAssert.ExitTimeout);

        Assert.True(exitCode == 0, stderr);
        var expected = typeof(EchoSettings).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Matches(@"^\d+\.\d+\.\d+$", expected);
        Assert.Equal(expected, stdout.Trim());
    }
}

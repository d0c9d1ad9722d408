using ActorEcho.Configuration;
using ArchUnitNET.Fluent.Slices;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
// Not "Architecture": inside ActorEcho.Tests that names this folder's namespace.
using CompiledArchitecture = ArchUnitNET.Domain.Architecture;

namespace ActorEcho.Tests.Architecture;

/// <summary>
/// The product's top-level namespaces (one per folder of ActorEcho/) depend on each other one way only, as compiled:
/// Cli → Hosting → {Tls, UdpEcho} → TcpEcho → Edge → core (Configuration, Networking, Diagnostics, Limits), and
/// LoadEngine, the client side's engine, on core only. Read from the assembly by ArchUnitNET, so a dependency in code
/// counts wherever it is (a field, a message, a call), a doc comment's cref does not. A violation fails with the types
/// that make it.
/// </summary>
public sealed class NamespaceDependencySpec
{
    private static readonly CompiledArchitecture Product = new ArchLoader().LoadAssemblies(typeof(EchoSettings).Assembly).Build();

    /// <summary>The bottom: settings, sockets, logs and metrics, rate limits. They may depend on one another (no
    /// cycle), on nothing above.</summary>
    private static readonly string[] Core = ["Configuration", "Networking", "Diagnostics", "Limits"];

    /// <summary>Every top-level namespace but Cli (the top), and those it must not depend on.</summary>
    public static TheoryData<string, string[]> Layers
    {
        get
        {
            var layers = new TheoryData<string, string[]>();
            foreach (var core in Core)
                layers.Add(core, ["Edge", "TcpEcho", "Tls", "UdpEcho", "Hosting", "Cli", "LoadEngine"]);
            layers.Add("Edge", ["TcpEcho", "Tls", "UdpEcho", "Hosting", "Cli", "LoadEngine"]);
            layers.Add("TcpEcho", ["Tls", "UdpEcho", "Hosting", "Cli", "LoadEngine"]);
            // TLS is a transport beneath the TCP echo's connection; the UDP echo stands beside the TCP one, on its own.
            layers.Add("Tls", ["UdpEcho", "Hosting", "Cli", "LoadEngine"]);
            layers.Add("UdpEcho", ["TcpEcho", "Tls", "Hosting", "Cli", "LoadEngine"]);
            layers.Add("Hosting", ["Cli", "LoadEngine"]);
            // The client side's engine (the client and bench commands, the harness): core only.
            layers.Add("LoadEngine", ["Edge", "TcpEcho", "Tls", "UdpEcho", "Hosting", "Cli"]);
            return layers;
        }
    }

    [Fact]
    public void No_cycle_between_top_level_namespaces() =>
        SliceRuleDefinition.Slices().Matching("ActorEcho.(*)..").Should().BeFreeOfCycles().Check(Product);

    [Theory]
    [MemberData(nameof(Layers))]
    public void Dependencies_point_one_way(string layer, string[] above) =>
        Types().That().ResideInNamespaceMatching(Within(layer))
            .Should().NotDependOnAny(Types().That().ResideInNamespaceMatching(Within(above)))
            .Because($"{layer} may depend on none of {string.Join(", ", above)}")
            .Check(Product);

    /// <summary>A new top-level namespace gets its place in <see cref="Layers"/> before it gets code: otherwise no rule
    /// above would see it.</summary>
    [Fact]
    public void Every_namespace_has_its_place() =>
        Types().That().ResideInNamespaceMatching(@"^ActorEcho\.")
            .Should().ResideInNamespaceMatching(Within([.. Layers.Select(row => (string)row[0]), "Cli"]))
            .Check(Product);

    /// <summary>The namespaces <paramref name="names"/> and those beneath them: <c>^ActorEcho\.(A|B)(\..+)?$</c>.</summary>
    private static string Within(params string[] names) => $@"^ActorEcho\.({string.Join('|', names)})(\..+)?$";
}

using ActorEcho.Networking;

namespace ActorEcho.Tests.Networking;

public sealed class ListenBacklogSpec
{
    [Fact]
    public void Reads_the_cap_from_a_somaxconn_file()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "4096\n");
            Assert.Equal(4096, ListenBacklog.ReadSomaxconn(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a number")]
    [InlineData("0")]
    [InlineData("-5")]
    public void A_file_without_a_positive_number_gives_no_cap(string content)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, content);
            Assert.Null(ListenBacklog.ReadSomaxconn(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_file_gives_no_cap() =>
        Assert.Null(ListenBacklog.ReadSomaxconn(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))));

    [Fact]
    public void The_os_maximum_is_somaxconn_on_linux_and_the_platform_maximum_elsewhere()
    {
        var expected = File.Exists(ListenBacklog.SomaxconnPath)
            ? int.Parse(File.ReadAllText(ListenBacklog.SomaxconnPath).Trim())
            : int.MaxValue;
        Assert.Equal(expected, ListenBacklog.OsMaximum());
    }
}

// The lesson's "multithreaded operation" chapter, in C#: blocking sockets, one thread per client.
// Usage: ThreadPerConnection <host>:<port>
using ActorEcho.Models;

return ModelMain.Run("ThreadPerConnection", args, ThreadPerConnectionServer.Start);

// The lesson's async/await chapter, in C#: one task per client. It is also the raw-socket baseline that
// bench/run.sh measures ActorEcho against: what a C# user writes without actors.
// Usage: AsyncAwait <host>:<port>   (prints "Listening on <ip>:<port>")
using ActorEcho.Models;

return ModelMain.Run("AsyncAwait", args, AsyncAwaitServer.Start);

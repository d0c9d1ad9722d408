// The lesson's iterative server, in C#: one thread, non-blocking sockets, a readiness loop (Socket.Select), and
// the lesson's shortcut of never waiting for writability. Usage: EventLoop <host>:<port>
using ActorEcho.Models;

return ModelMain.Run("EventLoop", args, EventLoopServer.Start);

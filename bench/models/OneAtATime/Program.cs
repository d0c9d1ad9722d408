// The lesson's simple server, in C#: one client at a time. Usage: OneAtATime <host>:<port>
using ActorEcho.Models;

return ModelMain.Run("OneAtATime", args, OneAtATimeServer.Start);

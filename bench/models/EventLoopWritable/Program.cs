// The event loop done properly: writable readiness and a bounded output buffer per client.
// Usage: EventLoopWritable <host>:<port>
using ActorEcho.Models;

return ModelMain.Run("EventLoopWritable", args, EventLoopWritableServer.Start);

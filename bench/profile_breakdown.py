#!/usr/bin/env python3
"""Where the echo server's CPU goes per echoed frame, from `perf script` output (read on stdin).

Every sample is charged to one bucket, by its stack (leaf first):
  kernel            - the leaf is kernel code (syscalls, loopback TCP, scheduler, epoll), whoever called it
  GC                - the leaf is in the garbage collector or the allocator's slow path
  then user-space time goes to the innermost frame that names an owner:
  ByteString copies - under ByteString.CopyFrom (Akka.IO copies every read into a new ByteString)
  EchoConnection    - ActorEcho's code (EchoConnection, its metrics calls)
  Akka.IO TcpConnection - Akka.IO (TcpConnection, TcpListener, the .NET socket calls they make)
  mailbox+dispatcher - the rest of Akka: mailbox, dispatcher threads, ActorCell, Tell
  CLR native        - libcoreclr without symbols (GC, allocation helpers, casts, stubs): see the GC pause share
  .NET sockets/threads/runtime - no Akka frame in the stack: the socket engine's epoll thread, thread pool, runtime
  JIT, other        - the JIT compiler (tiering), unresolved addresses Argument: the number of echoed frames during the recording and the server's CPU seconds in
it, to print microseconds per frame. Also prints the top leaf symbols of each bucket.
"""
import collections
import re
import sys

frames = float(sys.argv[1]) if len(sys.argv) > 1 else 0
cpu_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0

GC_RE = re.compile(r"gc_heap|WKS::|SVR::|GCHeap|mark_object|plan_phase|memclr|Alloc\w*Slow|alloc_more_space|GCToEE|GarbageCollect|allocate_more|mark_through|relocate|compact|sweep|background_|JIT_New|RhpNew|AllocateObject|AllocateSzArray")

def owner(sym):
    if "EchoConnection" in sym or "EchoMetrics" in sym or "ActorEcho." in sym:
        return "EchoConnection"
    if re.search(r"Akka\.IO\.", sym):
        return "Akka.IO TcpConnection"
    if re.search(r"Akka\.|Helios\.", sym):
        return "mailbox+dispatcher"
    return None

def bucket(stack):
    leaf_sym, leaf_dso = stack[0]
    if leaf_dso.startswith("[kernel") or leaf_dso == "[vdso]":
        return "kernel"
    if GC_RE.search(leaf_sym):
        return "GC"
    if leaf_sym.startswith("[unknown") and "libcoreclr" in leaf_dso:
        # The runtime ships without symbols here: its GC, allocation helpers, casts and stubs are one bucket;
        # dotnet-counters' GC pause time (printed above) says how much of it is GC.
        return "CLR native (GC, allocation, stubs)"
    if "libclrjit" in leaf_dso:
        return "JIT"
    # User-space time goes to the innermost frame we can name: a copy of received bytes, ours, Akka.IO's, or
    # Akka's actor machinery (which also owns the .NET code it calls: queues, thread signalling, socket calls).
    for sym, _ in stack:
        if "ByteString::CopyFrom" in sym or "ByteString.CopyFrom" in sym:
            return "ByteString copies"
        o = owner(sym)
        if o:
            return o
    if leaf_sym.startswith("[unknown"):
        return "other (unresolved)"
    return ".NET sockets/threads/runtime"

counts = collections.Counter()
top = collections.defaultdict(collections.Counter)
stack = []
total = 0

def flush():
    global stack, total
    if stack:
        b = bucket(stack)
        counts[b] += 1
        total += 1
        top[b][stack[0][0][:110]] += 1
    stack = []

line_re = re.compile(r"^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")
for line in sys.stdin:
    if not line.strip():
        flush()
        continue
    if not line.startswith((" ", "\t")):
        flush()
        continue
    m = line_re.match(line)
    if m:
        sym, dso = m.group(1), m.group(2)
        sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
        dso = dso.split("/")[-1] if not dso.startswith("[") else dso
        if sym == "[unknown]" and dso.startswith("perf-"):
            sym = "[unknown jitted]"
        stack.append((sym, dso))
flush()

order = ["kernel", "Akka.IO TcpConnection", "mailbox+dispatcher", "EchoConnection", "ByteString copies", "GC",
         "CLR native (GC, allocation, stubs)", ".NET sockets/threads/runtime", "JIT", "other (unresolved)"]
print(f"samples: {total}" + (f"; frames echoed: {frames:,.0f}; server CPU: {cpu_seconds:.2f} s" if frames else ""))
print("| bucket | share of server CPU | us per echoed frame |")
print("|---|---:|---:|")
for b in order:
    share = counts[b] / total if total else 0
    per = share * cpu_seconds * 1e6 / frames if frames else 0
    print(f"| {b} | {share*100:.1f} % | {per:.2f} |")
if frames:
    print(f"| total | 100 % | {cpu_seconds*1e6/frames:.2f} |")
print()
for b in order:
    if not counts[b]:
        continue
    print(f"top leaves in {b}:")
    for sym, n in top[b].most_common(8):
        print(f"   {n/total*100:5.1f} %  {sym}")

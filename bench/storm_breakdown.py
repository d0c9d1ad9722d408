#!/usr/bin/env python3
"""Where a server's CPU goes in a reconnect storm, from `perf script -F comm,tid,ip,sym,dso` (stdin).

Each sample is charged once: by its leaf to the kernel, the JIT, the GC or the runtime's unnamed native code;
otherwise to the innermost frame that names an owner (ActorEcho's code; Akka.IO's listener; Akka.IO's connection
actors; actor creation; death watch; timers; logging; mailbox and dispatcher). Then the Akka.IO methods with the
most samples anywhere in their stacks: what makes the floor.
Arguments: connections in the storm, and the server's CPU seconds for the cycle (to print microseconds each).
"""
import collections
import re
import sys

conns = float(sys.argv[1]) if len(sys.argv) > 1 else 0
cpu_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0

GC_RE = re.compile(r"gc_heap|WKS::|SVR::|GCHeap|mark_object|plan_phase|memclr|Alloc\w*Slow|GCToEE|GarbageCollect|RhpNew|JIT_New|AllocateObject|AllocateSzArray")
OWNERS = [  # innermost match wins; order only breaks ties within one frame
    ("ActorEcho (listener, connection, metrics)", re.compile(r"ActorEcho\.")),
    ("Akka.IO listener (accept loop, TcpIncomingConnection creation)", re.compile(r"Akka\.IO\.TcpListener")),
    ("Akka.IO connection actors (register, read, write, close)", re.compile(r"Akka\.IO\.Tcp(Incoming)?Connection|Akka\.IO\.SocketAsync|Akka\.IO\.Tcp[A-Z]")),
    ("actor creation (ActorOf, Props, ActorCell init)", re.compile(r"Akka\.Actor\.(Props|ActorCell\.(Init|Create|NewActor|MakeChild|ActorOf|AttachChild)|ActivatorProducer|ActorCell::(Init|Create|NewActor|MakeChild))|ChildrenContainer|ActorOf|NewActor|CreateActor|Activator|RuntimeType.*CreateInstance|Reflection")),
    ("death watch and stop (Watch, Terminated, children)", re.compile(r"Watch|Terminat|HandleDeath|FinishTerminate|Stop\b|ChildrenContainer")),
    ("timers and scheduler", re.compile(r"Scheduler|Timer")),
    ("logging", re.compile(r"Akka\.Event\.|LogSource|BusLogging")),
    ("mailbox and dispatcher", re.compile(r"Akka\.(Dispatch|Actor)\.|Helios\.")),
]

def bucket(stack):
    leaf_sym, leaf_dso = stack[0]
    if leaf_dso.startswith("[kernel") or leaf_dso == "[vdso]":
        return "kernel (accept, sockets, epoll, scheduler)"
    if "libclrjit" in leaf_dso:
        return "JIT (tiering a fresh process)"
    if GC_RE.search(leaf_sym):
        return "GC"
    for sym, _ in stack:
        for name, pattern in OWNERS:
            if pattern.search(sym):
                return name
    if leaf_sym.startswith("[unknown") and "libcoreclr" in leaf_dso:
        return "runtime native code without symbols (type loading, stubs)"
    if leaf_sym.startswith("[unknown"):
        return "other (unresolved)"
    return ".NET sockets, threads and runtime (no Akka frame)"

counts = collections.Counter()
akka_io = collections.Counter()
total = 0
stack = []

def flush():
    global stack, total
    if stack:
        counts[bucket(stack)] += 1
        total += 1
        seen = set()
        for sym, _ in stack:
            if "Akka.IO." in sym:
                name = re.sub(r"\[.*?\]|\(.*", "", sym)[:100]
                if name not in seen:
                    seen.add(name)
                    akka_io[name] += 1
    stack = []

line_re = re.compile(r"^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")
for line in sys.stdin:
    if not line.strip() or not line.startswith((" ", "\t")):
        flush()
        continue
    m = line_re.match(line)
    if m:
        stack.append((m.group(1), m.group(2)))
flush()

if not total:
    sys.exit("no samples")
print(f"{total} samples; server CPU {cpu_seconds:.2f} s for {conns:.0f} connections")
print(f"{'bucket':<68} {'share':>6} {'us/conn':>8}")
for name, n in counts.most_common():
    share = n / total
    per = share * cpu_seconds * 1e6 / conns if conns else 0
    print(f"{name:<68} {share*100:5.1f}% {per:8.1f}")
print("\nAkka.IO methods by samples anywhere in the stack (inclusive):")
for name, n in akka_io.most_common(15):
    print(f"  {n/total*100:5.1f}%  {name}", flush=True)

#!/usr/bin/env python3
"""Clients of bench/fd-exhaustion.sh: CONNS clients connect at once, each sends one byte and waits for its echo or the
server's close; all are held HOLD seconds, then leave; at once FRESH new clients must each get their byte echoed within
DEADLINE seconds of that (a fresh client closed at once, because the server still counts the leavers as connected,
connects again, as a real client would). LOG is the server's stderr file: the lines it gained while the CONNS were connecting and held are
counted (all, and warnings and errors).

Prints one line: echoed=N refused=N pending=N hold_s=S log_lines=N warn_lines=N fresh_ok=N fresh_total=N fresh_s=S"""
import os, selectors, socket, sys, time

host, port, conns, hold, fresh, deadline, log = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
                                                 int(sys.argv[5]), float(sys.argv[6]), sys.argv[7])

def burst(n, until, retry=False):
    """n non-blocking connects; each sends b'x' once connected and reads the echo (or the close; with retry, a closed
    client connects again). Returns the sockets and how many were echoed and closed by then (the rest still wait, e.g.
    in the server's accept queue)."""
    sel = selectors.DefaultSelector()
    socks = []

    def connect():
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        sel.register(s, selectors.EVENT_WRITE, 'connecting')
        socks.append(s)

    def ended(s):
        sel.unregister(s)
        if not retry:
            return 1
        s.close()
        connect()
        return 0

    for _ in range(n):
        connect()
    echoed = closed = 0
    while time.monotonic() < until and echoed + closed < n:
        for key, _ in sel.select(timeout=0.01):
            s = key.fileobj
            if key.data == 'connecting':
                try:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        raise OSError()
                    s.send(b'x')
                except OSError:
                    closed += ended(s)
                    continue
                sel.modify(s, selectors.EVENT_READ, 'waiting')
            else:
                try:
                    data = s.recv(16)
                except OSError:
                    data = b''
                if data:
                    echoed += 1
                    sel.unregister(s)
                else:
                    closed += ended(s)
    return socks, echoed, closed

def log_lines(start):
    with open(log, 'rb') as f:
        f.seek(start)
        lines = f.read().decode('utf-8', 'replace').splitlines()
    return len(lines), sum(1 for l in lines if ' warn: ' in l or ' fail: ' in l or ' crit: ' in l)

log_start = os.path.getsize(log)
began = time.monotonic()
socks, echoed, closed = burst(conns, began + hold)
time.sleep(max(0.0, began + hold - time.monotonic()))
held_for = time.monotonic() - began
lines, warnings = log_lines(log_start)
for s in socks:
    s.close()
start = time.monotonic()
fresh_socks, ok, _ = burst(fresh, start + deadline, retry=True)
took = time.monotonic() - start
for s in fresh_socks:
    s.close()
print(f"echoed={echoed} refused={closed} pending={conns - echoed - closed} hold_s={held_for:.1f} log_lines={lines} "
      f"warn_lines={warnings} fresh_ok={ok} fresh_total={fresh} fresh_s={took:.2f}")

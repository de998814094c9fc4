"""The kazoo peer of `npm run bench` (bench/compare.ts): kazoo's Lock and Election, driven by one
JSON command per line on stdin, one JSON reply per line on stdout. One thread per lock in flight
(kazoo's recipes are blocking). Usage: python3 kazoo_peer.py <hosts> <root>
"""
import gc
import json
import logging
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
import kazoo.version

logging.basicConfig(level=logging.CRITICAL)
threading.stack_size(256 * 1024)
HOSTS, ROOT = sys.argv[1], sys.argv[2]


def open_client(hosts):
    c = KazooClient(hosts=hosts, timeout=10.0)
    c.start(timeout=30)
    return c


MAIN = open_client(HOSTS)


def pct(xs):
    if not xs:
        return {"p50": None, "p99": None}
    s = sorted(xs)
    return {"p50": s[int((len(s) - 1) * 0.5)] * 1000, "p99": s[int((len(s) - 1) * 0.99)] * 1000}


def run_threads(targets):
    failed = []

    def wrap(f):
        def run():
            try:
                f()
            except BaseException as e:  # reported, not swallowed
                failed.append(e)
        return run

    ts = [threading.Thread(target=wrap(f), daemon=True) for f in targets]
    for t in ts:
        t.start()
    return ts, failed


def locks(n, window_ms, tag):
    """n locks on distinct paths in flight, one thread each, each looping acquire+release."""
    gate = threading.Event()
    deadline = [0.0]
    lats = [[] for _ in range(n)]
    window_ops = [0] * n

    def loop(k):
        lock = MAIN.Lock(f"{ROOT}/{tag}-{k}")

        def run():
            gate.wait()
            while time.perf_counter() < deadline[0]:
                t = time.perf_counter()
                lock.acquire()
                lock.release()
                e = time.perf_counter()
                lats[k].append(e - t)
                if e <= deadline[0]:
                    window_ops[k] += 1
        return run

    ts, failed = run_threads([loop(k) for k in range(n)])
    t0 = time.perf_counter()
    deadline[0] = t0 + window_ms / 1000
    gate.set()
    for t in ts:
        t.join()
    if failed:
        raise failed[0]
    allv = [x for l in lats for x in l]
    return {"ops": len(allv), "windowOps": sum(window_ops), "windowMs": window_ms,
            "totalMs": (time.perf_counter() - t0) * 1000, **pct(allv)}


def handoff(sessions, window_ms):
    """`sessions` clients on one lock, each looping acquire+release; counts acquisitions."""
    cs = [open_client(HOSTS) for _ in range(sessions)]
    try:
        gate = threading.Event()
        deadline = [0.0]
        counts = [[0, 0] for _ in range(sessions)]

        def loop(k):
            lock = cs[k].Lock(f"{ROOT}/handoff")

            def run():
                gate.wait()
                while time.perf_counter() < deadline[0]:
                    lock.acquire()
                    counts[k][0] += 1
                    if time.perf_counter() <= deadline[0]:
                        counts[k][1] += 1
                    lock.release()
            return run

        ts, failed = run_threads([loop(k) for k in range(sessions)])
        t0 = time.perf_counter()
        deadline[0] = t0 + window_ms / 1000
        gate.set()
        for t in ts:
            t.join()
        if failed:
            raise failed[0]
        return {"ops": sum(c[0] for c in counts), "windowOps": sum(c[1] for c in counts), "windowMs": window_ms,
                "totalMs": (time.perf_counter() - t0) * 1000}
    finally:
        for c in cs:
            c.stop()
            c.close()


def failover(runs):
    """Graceful fail-over with Election: two clients take turns; time from the leader's return to the next's election."""
    cs = [open_client(HOSTS), open_client(HOSTS)]
    path = f"{ROOT}/leader"
    out = []
    resign = {}
    elected = {}

    def campaign(k, token):
        resign[token] = threading.Event()
        elected[token] = threading.Event()

        def lead():
            elected[token].time = time.perf_counter()
            elected[token].set()
            resign[token].wait()
        t = threading.Thread(target=lambda: cs[k].Election(path, f"c{token}").run(lead), daemon=True)
        t.start()
        return t

    try:
        threads = [campaign(0, 0)]
        if not elected[0].wait(30):
            raise RuntimeError("first election did not happen")
        who = 0
        for r in range(runs):
            threads.append(campaign(1 - who, r + 1))
            until = time.perf_counter() + 10
            while len(MAIN.get_children(path)) < 2:
                if time.perf_counter() > until:
                    raise RuntimeError("second contender never appeared")
                time.sleep(0.002)
            time.sleep(0.005)
            t0 = time.perf_counter()
            resign[r].set()
            if not elected[r + 1].wait(30):
                raise RuntimeError("no election within 30 s")
            out.append((elected[r + 1].time - t0) * 1000)
            who = 1 - who
        resign[runs].set()
        for t in threads:
            t.join(10)
    finally:
        for e in resign.values():
            e.set()
        for c in cs:
            c.stop()
            c.close()
    return {"ms": out}


STATE = {}


def queue(n):
    """A holder thread, then n waiter threads queued behind it on one lock."""
    path = f"{ROOT}/waiters"
    held = threading.Event()
    release = threading.Event()
    acquired = []

    def holder():
        lock = MAIN.Lock(path)
        lock.acquire()
        held.set()
        release.wait()
        lock.release()

    def waiter():
        lock = MAIN.Lock(path)
        if not lock.acquire(timeout=300):
            raise RuntimeError("waiter timed out")
        acquired.append(time.perf_counter())
        lock.release()

    hts, hfailed = run_threads([holder])
    held.wait(30)
    t0 = time.perf_counter()
    wts, wfailed = run_threads([waiter] * n)
    until = time.perf_counter() + 120
    while len(MAIN.get_children(path)) < n + 1:
        if time.perf_counter() > until:
            raise RuntimeError("waiters never all queued")
        time.sleep(0.02)
    time.sleep(0.3)
    STATE.update(release=release, threads=hts + wts, acquired=acquired, failed=hfailed + wfailed)
    return {"queued": n, "queueMs": (time.perf_counter() - t0) * 1000}


def gaps(t0, at):
    g, prev = [], t0
    for a in at:
        g.append(a - prev)
        prev = a
    q = max(1, len(g) // 10)
    return {"firstTenthMs": sum(g[:q]) / q * 1000, "lastTenthMs": sum(g[-q:]) / q * 1000, **pct(g)}


def drain():
    t0 = time.perf_counter()
    STATE["release"].set()
    for t in STATE["threads"]:
        t.join()
    if STATE["failed"]:
        raise STATE["failed"][0]
    at = STATE["acquired"]
    return {"handoffs": len(at), "totalMs": (at[-1] - t0) * 1000, **gaps(t0, at)}


def rss_bytes():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def hold(n, via_hosts, threads):
    """`threads` threads each acquire their share of n locks on distinct paths and keep them."""
    client = open_client(via_hosts)
    before = rss_bytes()
    locks_held = []
    lock = threading.Lock()

    def take(k):
        def run():
            mine = []
            for i in range(k, n, threads):
                lk = client.Lock(f"{ROOT}/held/{i}")
                lk.acquire()
                mine.append(lk)
            with lock:
                locks_held.extend(mine)
        return run

    t0 = time.perf_counter()
    ts, failed = run_threads([take(k) for k in range(threads)])
    for t in ts:
        t.join()
    acquire_ms = (time.perf_counter() - t0) * 1000
    if failed:
        raise failed[0]
    after = rss_bytes()
    STATE.update(client=client, locks=locks_held)
    return {"held": len(locks_held), "acquireMs": acquire_ms, "heapBytes": after - before,
            "heapKind": "process RSS growth after gc.collect()", "how": f"{threads} threads"}


def probe():
    """Times the first answered request after the bench cut our connection (a request caught by the cut is retried)."""
    t0 = time.perf_counter()
    while True:
        try:
            STATE["client"].exists("/")
            break
        except KazooException:
            if time.perf_counter() - t0 > 60:
                raise
            time.sleep(0.005)
    return {"ms": (time.perf_counter() - t0) * 1000}


def release():
    t0 = time.perf_counter()
    for lk in STATE["locks"]:
        lk.release()
    took = (time.perf_counter() - t0) * 1000
    STATE["client"].stop()
    STATE["client"].close()
    STATE.clear()
    return {"releaseMs": took}


def dispatch(c):
    cmd = c["cmd"]
    if cmd == "locks":
        return locks(int(c["n"]), int(c["ms"]), c["tag"])
    if cmd == "handoff":
        return handoff(int(c["sessions"]), int(c["ms"]))
    if cmd == "failover":
        return failover(int(c["runs"]))
    if cmd == "queue":
        return queue(int(c["n"]))
    if cmd == "drain":
        return drain()
    if cmd == "hold":
        return hold(int(c["n"]), c["hosts"], int(c["threads"]))
    if cmd == "probe":
        return probe()
    if cmd == "release":
        return release()
    if cmd == "hello":
        return {"version": f"kazoo {kazoo.version.__version__}"}
    raise ValueError(f"unknown command {cmd}")


def main():
    for line in sys.stdin:
        c = json.loads(line)
        if c["cmd"] == "close":
            break
        try:
            reply = {"ok": True, **dispatch(c)}
        except BaseException as e:
            reply = {"ok": False, "error": repr(e)}
        print(json.dumps(reply), flush=True)
    MAIN.stop()
    MAIN.close()
    print(json.dumps({"ok": True}), flush=True)


main()

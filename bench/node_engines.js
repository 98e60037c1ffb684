// nidus bench — the Node.js peers: usearch exact search and sqlite-vec.
//
//   node node_engines.js ENGINE MODULES DATA N D QUERIES NQ OUT [BUDGET_S]
//   node node_engines.js sqlite-vec-filtered MODULES DATA N D QUERIES NQ OUT BUDGET_S FILTERS BUCKETS
//
// ENGINE: usearch | sqlite-vec | sqlite-vec-filtered | sqlite-vec-partition. The
// filtered ones give vec0 a metadata column `bucket integer` (= row % BUCKETS), or
// with -partition a partition key `bucket integer partition key`, and run the KNN query
// unfiltered and with each filter of FILTERS ("eq:0/in:0,1,2/lt:100" become
// `bucket = 0`, `bucket in (0,1,2)`, `bucket < 100` in the KNN query's WHERE,
// which vec0 applies during the search), every variant back to back for each query
// in rotating order until BUDGET_S seconds (at least 32 queries); a filter vec0
// refuses is reported on stderr and left out. MODULES: the node_modules folder that holds the pinned
// packages (bench/bench.mk installs them outside the repository). Appends JSON lines
// to OUT in the format bench/README.md describes.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createRequire } = require('module');

const K = 10;
const BATCH = 64;
const WARMUP = 5;

const [engine, modules, dataPath, nS, dS, qPath, nqS, outPath, budgetS, filtersS, bucketsS] =
  process.argv.slice(2);
const n = Number(nS), d = Number(dS), nq = Number(nqS);
const budget = Number(budgetS || 0);
const req = createRequire(path.join(path.resolve(modules), 'x.js'));

function readF32(p, count) {
  const buf = fs.readFileSync(p);
  if (buf.length < count * 4) throw new Error(`${p}: short file`);
  // copy into an aligned, exactly sized Float32Array
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(buf.subarray(0, count * 4));
  return out;
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

function emit(rec) {
  fs.appendFileSync(outPath, JSON.stringify(rec) + '\n');
}

// Each query is handed over as a fresh, exactly sized copy: usearch's native
// exactSearch reads a typed array from the start of its ArrayBuffer and ignores the
// view's byteOffset, so a subarray would silently search with query 0.
const qv = (q, lo, hi) => q.slice(lo * d, hi * d);

function runSingle(search1, q) {
  const qs = [];
  for (let i = 0; i < nq; i++) qs.push(qv(q, i, i + 1));
  for (let i = 0; i < Math.min(WARMUP, nq); i++) search1(qs[i]);
  const samples = [], ids = [], qids = [];
  const t0 = now();
  for (let i = 0; i < nq; i++) {
    const t = now();
    const r = search1(qs[i]);
    samples.push(now() - t);
    ids.push(r);
    qids.push(i);
    if (budget > 0 && i + 1 >= 32 && (now() - t0) / 1e3 > budget) break;
  }
  return { samples, ids, qids, total: (now() - t0) / 1e3 };
}

function runBatch(searchb, q) {
  const qb = [];
  for (let lo = 0; lo + BATCH <= nq; lo += BATCH) qb.push(qv(q, lo, lo + BATCH));
  searchb(qb[0]);
  const samples = [], ids = [], qids = [];
  const t0 = now();
  for (let lo = 0; lo + BATCH <= nq; lo += BATCH) {
    const t = now();
    const r = searchb(qb[lo / BATCH]);
    samples.push((now() - t) / BATCH);
    for (let j = 0; j < BATCH; j++) { ids.push(r[j]); qids.push(lo + j); }
    if (budget > 0 && (now() - t0) / 1e3 > budget) break;
  }
  return { samples, ids, qids, total: (now() - t0) / 1e3 };
}

function record(variant, threads, batch, res, extra) {
  return {
    engine, variant, threads, batch, samples_ms: res.samples, total_s: res.total,
    answered: res.qids.length, qids: res.qids, ids: res.ids, extra,
  };
}

function pkgVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'))).version;
}

const x = readF32(dataPath, n * d);
const q = readF32(qPath, nq * d);
const ncpu = os.availableParallelism ? os.availableParallelism() : os.cpus().length;

if (engine === 'usearch') {
  const usearch = req('usearch');
  const extra = { version: pkgVersion('usearch'), node: process.version };
  const one = (v) => {
    const m = usearch.exactSearch(x, v, d, K, 'ip', 1);
    return Array.from(m.keys, Number);
  };
  emit(record('exactSearch, 1 query', 1, 1, runSingle(one, q), extra));
  const many = (m) => {
    const r = usearch.exactSearch(x, m, d, K, 'ip', 0);
    const out = [];
    for (let j = 0; j < BATCH; j++) out.push(Array.from(r.get(j).keys, Number));
    return out;
  };
  emit(record('exactSearch, batch 64', ncpu, BATCH, runBatch(many, q), extra));
} else if (engine === 'sqlite-vec') {
  const Database = req('better-sqlite3');
  const sqliteVec = req('sqlite-vec');
  const db = new Database(':memory:');
  sqliteVec.load(db);
  const ver = db.prepare('select vec_version() v, sqlite_version() s').get();
  const t0 = now();
  // vec0's default metric (L2) on unit vectors ranks exactly as cosine, and measured
  // faster here than distance_metric=cosine (30 vs 35 ms at 100k x 384).
  db.exec(`create virtual table v using vec0(embedding float[${d}])`);
  const ins = db.prepare('insert into v(rowid, embedding) values (?, ?)');
  const xb = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  const chunk = 20000;
  for (let lo = 0; lo < n; lo += chunk) {
    const hi = Math.min(n, lo + chunk);
    db.transaction(() => {
      for (let i = lo; i < hi; i++) ins.run(BigInt(i + 1), xb.subarray(i * d * 4, (i + 1) * d * 4));
    })();
  }
  const build = (now() - t0) / 1e3;
  const sel = db.prepare('select rowid, distance from v where embedding match ? and k = ?');
  const one = (v) => {
    const rows = sel.all(Buffer.from(v.buffer, v.byteOffset, v.byteLength), K);
    return rows.map((r) => Number(r.rowid) - 1);
  };
  const extra = {
    version: pkgVersion('sqlite-vec'), vec_version: ver.v, sqlite: ver.s,
    better_sqlite3: pkgVersion('better-sqlite3'), build_s: build, node: process.version,
  };
  emit(record('vec0 KNN (L2 on unit vectors), 1 query', 1, 1, runSingle(one, q), extra));
} else if (engine === 'sqlite-vec-filtered' || engine === 'sqlite-vec-partition') {
  const part = engine === 'sqlite-vec-partition';
  const Database = req('better-sqlite3');
  const sqliteVec = req('sqlite-vec');
  const buckets = Number(bucketsS);
  const specs = (filtersS || '').split('/').filter((f) => f);
  const where = specs.map((f) => {
    const [op, a] = f.split(':');
    const nums = a.split(',').map(Number);
    if (nums.some((v) => !Number.isInteger(v))) throw new Error(`bad filter ${f}`);
    if (op === 'eq') return `bucket = ${nums[0]}`;
    if (op === 'in') return `bucket in (${nums.join(',')})`;
    if (op === 'lt') return `bucket < ${nums[0]}`;
    throw new Error(`bad filter ${f}`);
  });
  const db = new Database(':memory:');
  sqliteVec.load(db);
  const ver = db.prepare('select vec_version() v, sqlite_version() s').get();
  const t0 = now();
  db.exec(`create virtual table v using vec0(embedding float[${d}], bucket integer${part ? ' partition key' : ''})`);
  const ins = db.prepare('insert into v(rowid, embedding, bucket) values (?, ?, ?)');
  const xb = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  const chunk = 20000;
  for (let lo = 0; lo < n; lo += chunk) {
    const hi = Math.min(n, lo + chunk);
    db.transaction(() => {
      for (let i = lo; i < hi; i++) {
        ins.run(BigInt(i + 1), xb.subarray(i * d * 4, (i + 1) * d * 4), BigInt(i % buckets));
      }
    })();
  }
  const build = (now() - t0) / 1e3;
  // A constraint vec0 cannot serve in the KNN query is an error at prepare or at
  // the first step: that variant is reported as unsupported, not timed.
  const unsupported = {};
  const sels = [null, ...where].map((w, j) => {
    try {
      const st = db.prepare(
        `select rowid, distance from v where embedding match ? and k = ${K}${w ? ' and ' + w : ''}`);
      st.all(Buffer.from(qv(q, 0, 1).buffer));
      return st;
    } catch (e) {
      unsupported[j] = String(e.message || e);
      return null;
    }
  });
  const live = sels.map((st, j) => j).filter((j) => sels[j]);
  const nv = live.length;
  const qs = [];
  for (let i = 0; i < nq; i++) qs.push(qv(q, i, i + 1));
  const run = (j, v) => sels[j].all(Buffer.from(v.buffer, v.byteOffset, v.byteLength))
    .map((r) => Number(r.rowid) - 1);
  for (let i = 0; i < Math.min(WARMUP, nq); i++) for (const j of live) run(j, qs[i]);
  const res = sels.map(() => ({ samples: [], ids: [], qids: [] }));
  const tAll = now();
  for (let i = 0; i < nq; i++) {
    for (let jj = 0; jj < nv; jj++) {
      const j = live[(i + jj) % nv];
      const t = now();
      const r = run(j, qs[i]);
      res[j].samples.push(now() - t);
      res[j].ids.push(r);
      res[j].qids.push(i);
    }
    if (budget > 0 && i + 1 >= 32 && (now() - tAll) / 1e3 > budget) break;
  }
  const total = (now() - tAll) / 1e3;
  const label = part ? 'vec0 KNN + partition key' : 'vec0 KNN + metadata column';
  for (let j = 0; j < sels.length; j++) {
    if (!sels[j]) {
      console.error(`${engine}: ${where[j - 1]}: not served (${unsupported[j]})`);
      continue;
    }
    const extra = {
      version: pkgVersion('sqlite-vec'), vec_version: ver.v, sqlite: ver.s,
      better_sqlite3: pkgVersion('better-sqlite3'), build_s: build, node: process.version,
      filter: j ? specs[j - 1] : '', indexed: false, where: j ? where[j - 1] : '',
    };
    res[j].total = total;
    emit(record(`${label}, ${j ? where[j - 1] : 'unfiltered'}`, 1, 1, res[j], extra));
  }
} else {
  console.error(`unknown engine ${engine}`);
  process.exit(2);
}

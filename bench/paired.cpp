// paired_bench — single-query ratios that hold up on a shared, noisy machine.
//
//   paired_bench DATA N D QUERIES NQ OUT [BUDGET_S]
//
// The separate engine runs of `make bench` happen minutes apart, and on a shared
// host the memory bandwidth drifts by tens of percent between them. Here one process
// holds the same matrix three times — a nidus in-memory store, an hnswlib
// BruteforceSearch (as hnsw_bench builds it: -O2, no -march=native), and a plain
// 64-byte-aligned copy — and for each query times, back to back and in rotating
// order, a nidus search (1 thread, k = 10), an hnswlib search and one streaming pass
// over the copy (the roofline), a nidus search with every core (threads = 0), and
// the same streaming pass split over every core (what a second core can add).
// Each query gives ratios taken under the same conditions; the medians of those
// ratios are reported, with the median times.
// Stops after BUDGET_S seconds (default 20) once 32 queries are done. Appends one
// JSON line to OUT; also checks that nidus and hnswlib return the same ids.
#include "nidus.h"

#include <hnswlib/hnswlib.h>

#include "bench_util.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

// The roofline pass: every float once, independent accumulators (as bench/roofline.c).
typedef float v8 __attribute__((vector_size(32)));
__attribute__((target("avx2"))) static float stream_sum(const float *p, size_t n) {
    const v8 *v = (const v8 *)p;
    size_t nv = n / 8, i = 0;
    v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (; i + 4 <= nv; i += 4) {
        a0 += v[i];
        a1 += v[i + 1];
        a2 += v[i + 2];
        a3 += v[i + 3];
    }
    for (; i < nv; i++) a0 += v[i];
    v8 a = (a0 + a1) + (a2 + a3);
    float s = 0;
    for (int j = 0; j < 8; j++) s += a[j];
    for (size_t j = nv * 8; j < n; j++) s += p[j];
    return s;
}

static double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(nidus_db *db, int rc, const char *what) {
    std::fprintf(stderr, "paired_bench: %s: %s\n", what, db ? nidus_errmsg(db) : nidus_strerror(rc));
    std::exit(1);
}

int main(int argc, char **argv) {
    if (argc < 7) {
        std::fprintf(stderr, "usage: paired_bench DATA N D QUERIES NQ OUT [BUDGET_S]\n");
        return 2;
    }
    size_t n = std::strtoull(argv[2], nullptr, 10), d = std::strtoull(argv[3], nullptr, 10);
    size_t nq = std::strtoull(argv[5], nullptr, 10);
    double budget = argc > 7 ? std::atof(argv[7]) : 20.0;
    const size_t k = 10;
    std::vector<float> x = load("paired_bench", argv[1], n * d), q = load("paired_bench", argv[4], nq * d);

    // nidus, in memory: the exact scan (shadow off: "nidus", as before the shadow)
    // and the default configuration with the shadow copy ("shadow", SPEC.md §13).
    nidus_db *db = nullptr, *dbs = nullptr;
    nidus_config cfg;
    nidus_config_init(&cfg, (uint32_t)d);
    cfg.shadow = 0;
    int rc = nidus_open_memory_cfg(&cfg, &db);
    if (rc) die(db, rc, "open");
    cfg.shadow = 1;
    if ((rc = nidus_open_memory_cfg(&cfg, &dbs))) die(dbs, rc, "open");
    std::vector<std::string> idstr(n);
    for (size_t i = 0; i < n; i++) idstr[i] = std::to_string(i);
    const size_t B = 4096;
    std::vector<nidus_record> recs(B);
    for (size_t i = 0; i < n; i += B) {
        size_t m = std::min(B, n - i);
        for (size_t j = 0; j < m; j++) {
            std::memset(&recs[j], 0, sizeof recs[j]);
            recs[j].id = idstr[i + j].c_str();
            recs[j].vector = x.data() + (i + j) * d;
            recs[j].dim = d;
        }
        if ((rc = nidus_upsert(db, "c", recs.data(), m))) die(db, rc, "upsert");
        if ((rc = nidus_upsert(dbs, "c", recs.data(), m))) die(dbs, rc, "upsert");
    }

    // hnswlib.
    hnswlib::InnerProductSpace space(d);
    hnswlib::BruteforceSearch<float> index(&space, n);
    for (size_t i = 0; i < n; i++) index.addPoint(x.data() + i * d, (hnswlib::labeltype)i);

    // The roofline copy.
    size_t bytes = (n * d * sizeof(float) + 63) / 64 * 64;
    float *copy = static_cast<float *>(std::aligned_alloc(64, bytes));
    if (!copy) die(nullptr, NIDUS_ENOMEM, "roofline copy");
    std::memcpy(copy, x.data(), n * d * sizeof(float));
    std::vector<float>().swap(x);

    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.top_k = k;
    o.threads = 1;
    volatile float sink = 0;
    std::vector<double> tn, th, ts, ta, tsa, rs, rh, ra, rsa, tsh, rsh;
    size_t shadow_differs = 0;
    const unsigned ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    std::vector<float> part(ncpu);
    size_t disagree = 0, done = 0;
    nidus_search_opts oa = o;
    oa.threads = 0;
    auto run = [&](size_t i, int which, double *t) {
        const float *qi = q.data() + (i % nq) * d;
        double t0 = now_s();
        if (which == 4) {
            std::vector<std::thread> th;
            size_t total = n * d, per = (total / ncpu + 7) / 8 * 8;
            for (unsigned c = 0; c < ncpu; c++) {
                size_t lo = per * c < total ? per * c : total, hi = lo + per < total ? lo + per : total;
                th.emplace_back([&, c, lo, hi] { part[c] = stream_sum(copy + lo, hi - lo); });
            }
            for (auto &x : th) x.join();
            *t = now_s() - t0;
            for (float v : part) sink = sink + v;
        } else if (which == 3) {
            nidus_hits *h = nullptr;
            if ((rc = nidus_search(db, qi, d, &oa, &h))) die(db, rc, "search");
            *t = now_s() - t0;
            nidus_free(h);
        } else if (which == 0) {
            nidus_hits *h = nullptr;
            if ((rc = nidus_search(db, qi, d, &o, &h))) die(db, rc, "search");
            *t = now_s() - t0;
            auto pq = index.searchKnn(qi, k);  // untimed: the agreement check
            std::vector<size_t> a, b;
            for (size_t j = 0; j < h->count; j++) a.push_back(std::strtoull(h->hits[j].id, nullptr, 10));
            for (; !pq.empty(); pq.pop()) b.push_back(pq.top().second);
            std::sort(a.begin(), a.end());
            std::sort(b.begin(), b.end());
            disagree += a != b;
            nidus_free(h);
        } else if (which == 5) {
            nidus_hits *h = nullptr, *x = nullptr;
            if ((rc = nidus_search(dbs, qi, d, &o, &h))) die(dbs, rc, "search");
            *t = now_s() - t0;
            if ((rc = nidus_search(db, qi, d, &o, &x))) die(db, rc, "search");  // untimed: bit for bit
            bool same = h->count == x->count;
            for (size_t j = 0; same && j < h->count; j++)
                same = h->hits[j].row == x->hits[j].row &&
                       std::memcmp(&h->hits[j].score, &x->hits[j].score, sizeof(float)) == 0;
            shadow_differs += !same;
            nidus_free(h);
            nidus_free(x);
        } else if (which == 1) {
            auto pq = index.searchKnn(qi, k);
            *t = now_s() - t0;
        } else {
            sink = sink + stream_sum(copy, n * d);
            *t = now_s() - t0;
        }
    };
    for (size_t i = 0; i < 3; i++) {  // warm-up (the shadow's first search codes every row)
        double t;
        for (int w = 0; w < 6; w++) run(i, w, &t);
    }
    double start = now_s();
    for (size_t i = 0; i < nq; i++) {
        double t[6];
        for (int s = 0; s < 6; s++) {
            int w = (int)((i + (size_t)s) % 6);
            run(i, w, &t[w]);
        }
        tsh.push_back(t[5] * 1e3), rsh.push_back(t[5] / t[2]);
        tsa.push_back(t[4] * 1e3), rsa.push_back(t[2] / t[4]);
        tn.push_back(t[0] * 1e3), th.push_back(t[1] * 1e3), ts.push_back(t[2] * 1e3), ta.push_back(t[3] * 1e3);
        rs.push_back(t[0] / t[2]), rh.push_back(t[0] / t[1]), ra.push_back(t[0] / t[3]);
        done++;
        if (done >= 32 && now_s() - start > budget) break;
    }

    FILE *out = std::fopen(argv[6], "a");
    if (!out) {
        std::perror(argv[6]);
        return 1;
    }
    std::fprintf(out,
                 "{\"engine\":\"paired\",\"queries\":%zu,\"nidus_p50_ms\":%.4f,\"hnswlib_p50_ms\":%.4f,"
                 "\"stream_p50_ms\":%.4f,\"nidus_over_roofline\":%.4f,\"nidus_over_hnswlib\":%.4f,"
                 "\"nidus_all_threads_p50_ms\":%.4f,\"threads\":%ld,\"threads_speedup\":%.4f,"
                 "\"stream_all_threads_p50_ms\":%.4f,\"stream_threads_speedup\":%.4f,"
                 "\"id_sets_differ\":%zu,\"kernel\":\"%s\",\"shadow_p50_ms\":%.4f,"
                 "\"shadow_over_roofline\":%.4f,\"shadow_differs\":%zu}\n",
                 done, median(tn), median(th), median(ts), median(rs), median(rh), median(ta),
                 sysconf(_SC_NPROCESSORS_ONLN), median(ra), median(tsa), median(rsa), disagree, nidus_kernel_name(),
                 median(tsh), median(rsh), shadow_differs);
    std::fclose(out);
    std::free(copy);
    nidus_close(db);
    nidus_close(dbs);
    return 0;
}

// hnsw_bench — hnswlib's exact BruteforceSearch (Debian libhnswlib-dev, header-only)
// on the same data and queries as nidus.
//
//   hnsw_bench DATA N D QUERIES NQ OUT [BUDGET_S]
//
// Inner-product space over unit vectors (= cosine). Built with g++ -O2 and no
// -march=native, as a packaged binary would be: hnswlib then picks its SIMD path at
// compile time (SSE here). Appends one JSON line to OUT (bench/README.md).
#include <hnswlib/hnswlib.h>

#include "bench_util.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv) {
    if (argc < 7) {
        std::fprintf(stderr, "usage: hnsw_bench DATA N D QUERIES NQ OUT [BUDGET_S]\n");
        return 2;
    }
    size_t n = std::strtoull(argv[2], nullptr, 10), d = std::strtoull(argv[3], nullptr, 10);
    size_t nq = std::strtoull(argv[5], nullptr, 10);
    double budget = argc > 7 ? std::atof(argv[7]) : 0.0;
    const size_t k = 10;
    std::vector<float> x = load("hnsw_bench", argv[1], n * d), q = load("hnsw_bench", argv[4], nq * d);

    double t0 = now_s();
    hnswlib::InnerProductSpace space(d);
    hnswlib::BruteforceSearch<float> index(&space, n);
    for (size_t i = 0; i < n; i++) index.addPoint(x.data() + i * d, (hnswlib::labeltype)i);
    double build = now_s() - t0;
    std::vector<float>().swap(x);  // the index holds its own copy

    for (size_t i = 0; i < 5 && i < nq; i++) index.searchKnn(q.data() + i * d, k);
    std::vector<double> samples;
    std::vector<std::vector<size_t>> ids;
    double t_all = now_s();
    for (size_t i = 0; i < nq; i++) {
        double t = now_s();
        auto pq = index.searchKnn(q.data() + i * d, k);
        samples.push_back((now_s() - t) * 1e3);
        std::vector<size_t> r(pq.size());
        for (size_t j = pq.size(); j-- > 0;) {  // the queue pops the worst first
            r[j] = pq.top().second;
            pq.pop();
        }
        ids.push_back(r);
        if (budget > 0 && i + 1 >= 32 && now_s() - t_all > budget) break;
    }
    double total = now_s() - t_all;

    FILE *out = std::fopen(argv[6], "a");
    if (!out) { std::perror(argv[6]); return 1; }
    std::fprintf(out, "{\"engine\":\"hnswlib\",\"variant\":\"BruteforceSearch, 1 query\","
                      "\"threads\":1,\"batch\":1,\"total_s\":%.6f,\"answered\":%zu,\"samples_ms\":[",
                 total, ids.size());
    for (size_t i = 0; i < samples.size(); i++) std::fprintf(out, "%s%.6f", i ? "," : "", samples[i]);
    std::fprintf(out, "],\"qids\":[");
    for (size_t i = 0; i < ids.size(); i++) std::fprintf(out, "%s%zu", i ? "," : "", i);
    std::fprintf(out, "],\"ids\":[");
    for (size_t i = 0; i < ids.size(); i++) {
        std::fprintf(out, "%s[", i ? "," : "");
        for (size_t j = 0; j < ids[i].size(); j++) std::fprintf(out, "%s%zu", j ? "," : "", ids[i][j]);
        std::fprintf(out, "]");
    }
    std::fprintf(out, "],\"extra\":{\"build_s\":%.4f,\"simd\":\"%s\"}}\n", build,
#if defined(USE_AVX512)
                 "avx512"
#elif defined(USE_AVX)
                 "avx"
#elif defined(USE_SSE)
                 "sse"
#else
                 "scalar"
#endif
    );
    std::fclose(out);
    return 0;
}

// hnsw_filter_bench — hnswlib's filter functor on the filtered queries of `make bench`.
//
//   hnsw_filter_bench DATA N D QUERIES NQ OUT FILTERS BUCKETS [BUDGET_S]
//
// Debian's hnswlib (0.6.2) has no filtering; this is built against the hnswlib
// headers that npm's hnswlib-node 3.0.0 ships (hnswlib 0.8.0, its BaseFilterFunctor),
// installed by bench/bench.mk into BENCH_CACHE. Exact BruteforceSearch,
// InnerProductSpace over unit vectors, built as hnsw_bench is (g++ -O2, no
// -march=native). Label = row; the functor looks the label's bucket up in an array
// (bucket = row % BUCKETS) and tests it against the filter's bucket set, as a user
// keeping attributes beside the index would. FILTERS: "eq:0/in:0,1,2/lt:100".
// Unfiltered and every filter run back to back for each query in rotating order,
// until BUDGET_S seconds (at least 32 queries). One JSON line per variant to OUT.
#include <hnswlib/hnswlib.h>

#include "bench_util.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct BucketFilter : public hnswlib::BaseFilterFunctor {
    const std::vector<unsigned short> *bucket_of;  // label -> bucket
    std::vector<char> allowed;                     // bucket -> 0/1
    bool operator()(hnswlib::labeltype id) override { return allowed[(*bucket_of)[id]] != 0; }
};

bool parse(const std::string &spec, size_t buckets, std::vector<char> &allowed) {
    allowed.assign(buckets, 0);
    size_t colon = spec.find(':');
    if (colon == std::string::npos) return false;
    std::string op = spec.substr(0, colon), a = spec.substr(colon + 1);
    if (op == "eq" || op == "in") {
        const char *p = a.c_str();
        while (*p) {
            char *e;
            long v = std::strtol(p, &e, 10);
            if (e == p || v < 0) return false;
            if ((size_t)v < buckets) allowed[v] = 1;
            p = *e == ',' ? e + 1 : e;
            if (*e && *e != ',') return false;
            if (op == "eq") break;
        }
        return true;
    }
    if (op == "lt") {
        long v = std::strtol(a.c_str(), nullptr, 10);
        for (long b = 0; b < v && (size_t)b < buckets; b++) allowed[b] = 1;
        return true;
    }
    return false;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 9) {
        std::fprintf(stderr, "usage: hnsw_filter_bench DATA N D QUERIES NQ OUT FILTERS BUCKETS [BUDGET_S]\n");
        return 2;
    }
    size_t n = std::strtoull(argv[2], nullptr, 10), d = std::strtoull(argv[3], nullptr, 10);
    size_t nq = std::strtoull(argv[5], nullptr, 10);
    size_t buckets = std::strtoull(argv[8], nullptr, 10);
    double budget = argc > 9 ? std::atof(argv[9]) : 0.0;
    const size_t k = 10;
    if (buckets == 0 || buckets > 65536) {
        std::fprintf(stderr, "hnsw_filter_bench: BUCKETS must be 1..65536\n");
        return 2;
    }
    std::vector<std::string> specs;
    for (std::string s = argv[7]; !s.empty();) {
        size_t slash = s.find('/');
        specs.push_back(s.substr(0, slash));
        s = slash == std::string::npos ? "" : s.substr(slash + 1);
    }
    std::vector<unsigned short> bucket_of(n);
    for (size_t i = 0; i < n; i++) bucket_of[i] = (unsigned short)(i % buckets);
    std::vector<BucketFilter> filters(specs.size());
    for (size_t f = 0; f < specs.size(); f++) {
        filters[f].bucket_of = &bucket_of;
        if (!parse(specs[f], buckets, filters[f].allowed)) {
            std::fprintf(stderr, "hnsw_filter_bench: bad filter '%s'\n", specs[f].c_str());
            return 2;
        }
    }

    std::vector<float> x = load("hnsw_filter_bench", argv[1], n * d), q = load("hnsw_filter_bench", argv[4], nq * d);
    double t0 = now_s();
    hnswlib::InnerProductSpace space(d);
    hnswlib::BruteforceSearch<float> index(&space, n);
    for (size_t i = 0; i < n; i++) index.addPoint(x.data() + i * d, (hnswlib::labeltype)i);
    double build = now_s() - t0;
    std::vector<float>().swap(x);

    size_t nv = 1 + specs.size();  // variant 0: unfiltered
    auto search = [&](size_t v, const float *qv) {
        return index.searchKnn(qv, k, v == 0 ? nullptr : &filters[v - 1]);
    };
    for (size_t i = 0; i < 5 && i < nq; i++)
        for (size_t v = 0; v < nv; v++) search(v, q.data() + i * d);
    std::vector<std::vector<double>> samples(nv);
    std::vector<std::vector<std::vector<size_t>>> ids(nv);
    size_t answered = 0;
    double t_all = now_s();
    for (size_t i = 0; i < nq; i++) {
        for (size_t vv = 0; vv < nv; vv++) {
            size_t v = (i + vv) % nv;
            double t = now_s();
            auto pq = search(v, q.data() + i * d);
            samples[v].push_back((now_s() - t) * 1e3);
            std::vector<size_t> r(pq.size());
            for (size_t j = pq.size(); j-- > 0;) {  // the queue pops the worst first
                r[j] = pq.top().second;
                pq.pop();
            }
            ids[v].push_back(r);
        }
        answered = i + 1;
        if (budget > 0 && answered >= 32 && now_s() - t_all > budget) break;
    }
    double total = now_s() - t_all;

    FILE *out = std::fopen(argv[6], "a");
    if (!out) { std::perror(argv[6]); return 1; }
    for (size_t v = 0; v < nv; v++) {
        std::fprintf(out, "{\"engine\":\"hnswlib\",\"variant\":\"BruteforceSearch%s%s\","
                          "\"threads\":1,\"batch\":1,\"total_s\":%.6f,\"answered\":%zu,\"samples_ms\":[",
                     v ? " + filter functor, " : ", unfiltered", v ? specs[v - 1].c_str() : "", total, answered);
        for (size_t i = 0; i < answered; i++) std::fprintf(out, "%s%.6f", i ? "," : "", samples[v][i]);
        std::fprintf(out, "],\"qids\":[");
        for (size_t i = 0; i < answered; i++) std::fprintf(out, "%s%zu", i ? "," : "", i);
        std::fprintf(out, "],\"ids\":[");
        for (size_t i = 0; i < answered; i++) {
            std::fprintf(out, "%s[", i ? "," : "");
            for (size_t j = 0; j < ids[v][i].size(); j++) std::fprintf(out, "%s%zu", j ? "," : "", ids[v][i][j]);
            std::fprintf(out, "]");
        }
        std::fprintf(out, "],\"extra\":{\"build_s\":%.4f,\"hnswlib\":\"0.8.0 (hnswlib-node 3.0.0 headers)\","
                          "\"filter\":\"%s\",\"indexed\":false}}\n",
                     build, v ? specs[v - 1].c_str() : "");
    }
    std::fclose(out);
    return 0;
}

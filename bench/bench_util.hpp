// bench_util.hpp — what the C++ bench tools (hnsw_bench, paired_bench) share.
#ifndef NIDUS_BENCH_UTIL_HPP
#define NIDUS_BENCH_UTIL_HPP

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

static inline double now_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// count floats from a raw float32 file, or exit naming the tool and the file.
static inline std::vector<float> load(const char *tool, const char *path, size_t count) {
    std::vector<float> v(count);
    FILE *f = std::fopen(path, "rb");
    if (!f || std::fread(v.data(), sizeof(float), count, f) != count) {
        std::fprintf(stderr, "%s: cannot read %s\n", tool, path);
        std::exit(1);
    }
    std::fclose(f);
    return v;
}

#endif

# bench/bench.mk — `make bench` and `make bench-quick` (included by the top Makefile).
#
#   make bench        every engine on 4 data sets, + filtered queries on 1M x 384, then
#                     the Python binding and `nidus serve` (15-20 min on 2 cores, +3 min
#                     the first time: installs and data), table + CSV
#   make bench-quick  100k x 384 only, nidus 1 thread vs roofline and hnswlib (< 1 min);
#                     its last line is `bench-quick: nidus/roofline=R nidus/hnswlib=H shadow/roofline=S`
#                     (nidus: the exact scan, shadow off; shadow: the default, SPEC.md §13)
#
# Installs what it needs when missing (Debian packages with apt-get, the Node peers
# with npm into BENCH_CACHE). Data, stores and node_modules live in BENCH_CACHE,
# outside the repository; results in bench/results/ (gitignored). bench/README.md
# describes the method.

BENCH_CACHE ?= $(HOME)/.cache/nidus-bench
BENCH_BIN   := $(BUILD)/bench
BENCH_PY    := /usr/bin/python3
# Debian packages: everything, and the subset bench-quick needs.
BENCH_DEBS       := python3-numpy python3-faiss python3-threadpoolctl libopenblas0-pthread \
                    libhnswlib-dev wrk
BENCH_DEBS_QUICK := python3-numpy libhnswlib-dev

BENCH_TOOLS := $(BENCH_BIN)/nidus_bench $(BENCH_BIN)/roofline $(BENCH_BIN)/hnsw_bench $(BENCH_BIN)/paired_bench

# The nidus driver uses the library's public API only. Calls the linked library lacks
# (while issue 4 is under way) are compiled out, and the run says so; the filter
# index run (issue 11) is compiled in only when libnidus.a has nidus_set_filter_index.
$(BENCH_BIN)/nidus_bench: bench/nidus_bench.c $(BUILD)/libnidus.a
	@mkdir -p $(dir $@)
	@defs=""; syms=$$(nm -g --defined-only $(BUILD)/libnidus.a 2>/dev/null | awk '{print $$3}'); \
	echo "$$syms" | grep -qx nidus_search_batch || defs="$$defs -DNIDUS_BENCH_NO_BATCH"; \
	echo "$$syms" | grep -qx nidus_kernel_name || defs="$$defs -DNIDUS_BENCH_NO_KERNEL_NAME"; \
	echo "$$syms" | grep -qx nidus_set_filter_index && defs="$$defs -DNIDUS_BENCH_HAVE_FINDEX"; \
	grep -q filter_index_bytes include/nidus.h && defs="$$defs -DNIDUS_BENCH_HAVE_FINDEX_BYTES"; \
	grep -q map_rows include/nidus.h && defs="$$defs -DNIDUS_BENCH_HAVE_MAP_ROWS"; \
	echo "CC $< $$defs"; \
	$(CC) -std=c11 -O2 -Wall -Wextra -D_DEFAULT_SOURCE $$defs -Iinclude $(DEPFLAGS) -MF $@.d $< \
	    $(BUILD)/libnidus.a -pthread -lm -o $@

# A measurement of this machine, not a shipped binary: -march=native.
$(BENCH_BIN)/roofline: bench/roofline.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -march=native -Wall -Wextra -D_DEFAULT_SOURCE $< -pthread -o $@

# As a packaged binary would be built: -O2, no -march=native.
$(BENCH_BIN)/hnsw_bench: bench/hnsw_bench.cpp
	@mkdir -p $(dir $@)
	g++ -std=c++11 -O2 -Wall $(DEPFLAGS) -MF $@.d $< -pthread -o $@

# hnswlib's filter functor: Debian's hnswlib 0.6.2 has none, so this one is built
# against the hnswlib 0.8.0 headers that npm's hnswlib-node (bench/package.json)
# ships, installed by bench-deps. Flags as hnsw_bench's.
HNSW_NPM_INC := $(BENCH_CACHE)/node_modules/hnswlib-node/src
$(BENCH_BIN)/hnsw_filter_bench: bench/hnsw_filter_bench.cpp bench/bench_util.hpp | bench-deps
	@mkdir -p $(dir $@)
	g++ -std=c++11 -O2 -Wall -isystem $(HNSW_NPM_INC) $< -pthread -o $@

# nidus, hnswlib and a streaming pass in one process, query by query (see its header).
$(BENCH_BIN)/paired_bench: bench/paired.cpp $(BUILD)/libnidus.a
	@mkdir -p $(dir $@)
	g++ -std=c++17 -O2 -Wall -Iinclude $(DEPFLAGS) -MF $@.d $< $(BUILD)/libnidus.a -pthread -lm -o $@

# Install the Debian packages listed in $(1) that are missing.
define bench_apt
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "bench: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "bench: need root for apt-get install$$missing" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; }; \
	fi
endef

bench-deps-quick:
	$(call bench_apt,$(BENCH_DEBS_QUICK))

# The Node peers, pinned in bench/package.json, installed into BENCH_CACHE (not git).
bench-deps: bench-deps-quick
	$(call bench_apt,$(BENCH_DEBS))
	@mkdir -p $(BENCH_CACHE)
	@if ! cmp -s bench/package.json $(BENCH_CACHE)/.installed-package.json || \
	    [ ! -d $(BENCH_CACHE)/node_modules/usearch ]; then \
	  echo "bench: npm install (pinned in bench/package.json) into $(BENCH_CACHE)"; \
	  cp bench/package.json $(BENCH_CACHE)/package.json && \
	  (cd $(BENCH_CACHE) && npm install --no-audit --no-fund --loglevel=error \
	     > npm-install.log 2>&1) || { cat $(BENCH_CACHE)/npm-install.log; exit 1; }; \
	  cp bench/package.json $(BENCH_CACHE)/.installed-package.json; \
	fi

# Then the layers above the library, each against the C call in the same run: the
# Python binding (per-query overhead, upsert_many vs nidus_upsert) and `nidus serve`
# (search QPS and p50/p99 at 1, 8, 64 connections, upserts/s through group commit).
bench: bench-deps $(BENCH_TOOLS) $(BENCH_BIN)/hnsw_filter_bench $(BUILD)/nidus
	@$(BENCH_PY) bench/run.py --bin $(BENCH_BIN) --cache $(BENCH_CACHE)
	@$(MAKE) --no-print-directory python-bench
	@$(BENCH_PY) bench/server_bench.py --nidus $(BUILD)/nidus

bench-quick: bench-deps-quick $(BENCH_TOOLS)
	@$(BENCH_PY) bench/run.py --quick --bin $(BENCH_BIN) --cache $(BENCH_CACHE)

.PHONY: bench-deps bench-deps-quick

-include $(BENCH_TOOLS:=.d)

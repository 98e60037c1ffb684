# python.mk — the Python binding (python/), included by the top Makefile.
#
#   make python           build the extension against $(BUILD)/libnidus.a (static: no
#                         LD_LIBRARY_PATH) into $(BUILD)/python, the package importable
#                         with PYTHONPATH=$(BUILD)/python
#   make python-test      pytest python/tests under Debian's python3, against the CLI
#                         ($(BUILD)/nidus) and the golden stores
#   make python-test-san  the suite once more with the extension and the library under
#                         ASan+UBSan, Python's own allocations unreported (see below)
#
# Debian packages: python3-dev python3-setuptools python3-numpy python3-pytest
# (installed by scripts/deps.sh when missing).

PY          := /usr/bin/python3
PY_DEBS     := python3-dev python3-setuptools python3-wheel python3-numpy python3-pytest
PY_OUT      := $(CURDIR)/$(BUILD)/python
PY_SAN_OUT  := $(CURDIR)/build/san/python
PY_SRC      := $(wildcard python/src/*.c python/src/*.h python/nidus/*.py python/nidus/*.pyi) python/setup.py python.mk

.PHONY: python python-deps python-test python-test-san

python-deps:
	@bash scripts/deps.sh $(PY_DEBS)

# setuptools decides what to recompile (the sources, the header and libnidus.a are
# its dependencies). -Werror here, not in setup.py: a user's newer compiler may warn.
$(PY_OUT)/.built: $(BUILD)/libnidus.a $(PY_SRC) include/nidus.h
	@bash scripts/deps.sh $(PY_DEBS)
	cd python && NIDUS_LIB=$(CURDIR)/$(BUILD)/libnidus.a NIDUS_PY_CFLAGS="-Werror -Wshadow -Wstrict-prototypes -Wvla -Wmissing-prototypes" \
	    $(PY) setup.py -q build --force -b $(PY_OUT)-build --build-lib $(PY_OUT) >/dev/null
	@touch $@

python: $(PY_OUT)/.built

# Each suite prints "python-test: N passed, N failed" (tests/conftest.py) for make
# test's total.
python-test: $(PY_OUT)/.built $(BUILD)/nidus
	NIDUS_CLI=$(CURDIR)/$(BUILD)/nidus NIDUS_SRCDIR=$(CURDIR) NIDUS_PY_SUITE=python-test \
	    PYTHONPATH=$(PY_OUT) PYTHONDONTWRITEBYTECODE=1 $(PY) -m pytest -q -p no:cacheprovider python/tests $(PYTEST_ARGS)

# The sanitizer run. The interpreter is not instrumented, so libasan is preloaded
# (it must come first) and Python allocates with plain malloc (PYTHONMALLOC=malloc)
# so every object is a block ASan and LeakSanitizer see. A leak check at exit would
# report the many blocks CPython never frees at shutdown; instead the suite ends with
# a recoverable leak check while the interpreter is still alive
# (__lsan_do_recoverable_leak_check, from conftest.py), and python/tools/asan_leaks.py
# fails the run for any leak whose allocation stack passes through the extension's
# code (python/src/, which holds every libnidus call of the binding), printing the
# others as Python's own. The canary first proves that the check sees a leak made
# in the extension; malloc stacks use the slow unwinder, since Debian's libpython has
# no frame pointers.
PY_SAN_LIB  := build/san/libnidus.a
PY_ASAN_RT  := $(shell $(CC) -print-file-name=libasan.so 2>/dev/null)
PY_SAN_ENV   = LD_PRELOAD=$(PY_ASAN_RT) PYTHONMALLOC=malloc PYTHONPATH=$(PY_SAN_OUT) PYTHONDONTWRITEBYTECODE=1 \
               ASAN_OPTIONS=detect_leaks=1:leak_check_at_exit=0:fast_unwind_on_malloc=0:malloc_context_size=40:log_path=$(1)/asan:halt_on_error=1:detect_stack_use_after_return=0 \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
python-test-san: $(BUILD)/nidus
	@bash scripts/deps.sh $(PY_DEBS)
	@$(MAKE) --no-print-directory BUILD=build/san SAN=address,undefined OPT="-O1 -g" $(PY_SAN_LIB)
	cd python && NIDUS_LIB=$(CURDIR)/$(PY_SAN_LIB) \
	    NIDUS_PY_CFLAGS="-Werror -Wshadow -Wstrict-prototypes -Wvla -Wmissing-prototypes -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DNIDUS_PY_LEAK_CANARY" \
	    NIDUS_PY_LDFLAGS="-fsanitize=address,undefined" \
	    $(PY) setup.py -q build --force -b $(PY_SAN_OUT)-build --build-lib $(PY_SAN_OUT) >/dev/null
	@rm -rf $(PY_SAN_OUT)-logs && mkdir -p $(PY_SAN_OUT)-logs/canary $(PY_SAN_OUT)-logs/suite
	$(call PY_SAN_ENV,$(PY_SAN_OUT)-logs/canary) $(PY) -c 'import ctypes, nidus._nidus as m; \
	    m._leak_canary(4321); ctypes.CDLL(None).__lsan_do_recoverable_leak_check()'
	$(PY) python/tools/asan_leaks.py --expect-canary 4321 $(PY_SAN_OUT)-logs/canary
	rc=0; $(call PY_SAN_ENV,$(PY_SAN_OUT)-logs/suite) NIDUS_PY_LEAKCHECK=1 NIDUS_PY_SUITE=python-san \
	    NIDUS_CLI=$(CURDIR)/$(BUILD)/nidus NIDUS_SRCDIR=$(CURDIR) \
	    $(PY) -m pytest -q -p no:cacheprovider -m "not slow" python/tests $(PYTEST_ARGS) || rc=$$?; \
	$(PY) python/tools/asan_leaks.py $(PY_SAN_OUT)-logs/suite || rc=1; exit $$rc

# The binding's figures (python/bench_binding.py prints one summary line last).
.PHONY: python-bench
python-bench: $(PY_OUT)/.built
	PYTHONPATH=$(PY_OUT) $(PY) python/bench_binding.py $(BENCH_ARGS)

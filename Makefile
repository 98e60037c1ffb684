# libnidus — plain Makefile. `make` builds build/libnidus.a, build/libnidus.so and the
# CLI (build/nidus). `make test` installs what it needs (scripts/deps.sh), then runs
# test-steps (below): the symbol and header checks, the README example, the suite and
# the fuzz corpora plain and under ASan+UBSan, and the CLI cases; it ends with
# "total: N passed, N failed".

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=
OPT     ?= -O2 -g

SHELL := /bin/bash

VERSION := 0.4.0
SOMAJOR := 0

WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla -Wmissing-prototypes
# Every global has a declaration in a header (gcc 12 lacks this warning; clang has it).
ifneq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
WARN    += -Wmissing-variable-declarations
endif
DEFS    := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
# -ffp-contract=off keeps nidus 0.3's exact summation (no fused multiply-add).
CFLAGS_ALL := $(WARN) $(DEFS) $(OPT) -ffp-contract=off -fvisibility=hidden -fPIC -pthread \
              -Iinclude -Isrc $(CFLAGS)
# Sanitizer builds also check the library's internal preconditions (NIDUS__ASSERT);
# DEBUG=1 turns those on in any build.
ifneq ($(SAN),)
CFLAGS_ALL += -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDSAN := -fsanitize=$(SAN)
DEBUG ?= 1
endif
ifeq ($(DEBUG),1)
CFLAGS_ALL += -DNIDUS_DEBUG
endif
# The portable kernel only (debugging aid): make NIDUS_PORTABLE=1
ifeq ($(NIDUS_PORTABLE),1)
CFLAGS_ALL += -DNIDUS__PORTABLE_ONLY
endif

LIB_SRC  := $(sort $(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/*.c))
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/tobj/%.o)
TEST_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson) -lm
# Every compile also writes a .d file next to its output: the headers it read, each
# also as an empty target, so a renamed or deleted header does not stop the build.
DEPFLAGS := -MMD -MP

# The first target, so `make` means `make all`; the included files add to it.
.PHONY: all lib test test-steps check test-san clean install uninstall demo symbols header-check readme-example bench bench-quick
all: lib

-include tests/stress.mk
-include cli/cli.mk
-include fuzz/fuzz.mk
-include bench/bench.mk
-include python.mk

lib: $(BUILD)/libnidus.a $(BUILD)/libnidus.so

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS_ALL) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libnidus.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libnidus.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libnidus.so.$(SOMAJOR) $(LDSAN) -pthread -o $@ $^ -lm

$(BUILD)/tobj/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS_ALL) -Wno-unused-function $(DEPFLAGS) -c $< -o $@

$(BUILD)/nidus_tests: $(TEST_OBJ) $(BUILD)/libnidus.a
	$(CC) $(LDSAN) -pthread -o $@ $(TEST_OBJ) $(BUILD)/libnidus.a $(TEST_LIBS)

# Run the suite of this build (BUILD/SAN select the variant).
check: $(BUILD)/nidus_tests
	NIDUS_SRCDIR=$(CURDIR) ./$(BUILD)/nidus_tests $(T)

# Only nidus_* symbols may leave the shared library; nidus.h must stand alone.
symbols: $(BUILD)/libnidus.so
	@bad=$$(nm -g --defined-only $(BUILD)/libnidus.so | awk '{print $$3}' | grep -v '^nidus_' || true); \
	if [ -n "$$bad" ]; then echo "exported symbols without the nidus_ prefix:"; echo "$$bad"; exit 1; fi; \
	echo "symbols: every exported symbol starts with nidus_"

header-check:
	@mkdir -p $(BUILD)
	@printf '#include "nidus.h"\nint main(void){return nidus_version_number()==0;}\n' > $(BUILD)/hdr.c
	$(CC) -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only $(BUILD)/hdr.c
	@if command -v c++ >/dev/null; then c++ -x c++ -std=c++11 -Wall -Werror -Iinclude -fsyntax-only $(BUILD)/hdr.c; fi
	@echo "header-check: nidus.h compiles alone as C11 -pedantic and as C++"

test-san:
	@$(MAKE) --no-print-directory BUILD=build/san SAN=address,undefined OPT="-O1 -g" check

# The README's C example, extracted, compiled against the static library and run.
readme-example: $(BUILD)/libnidus.a
	@sed -n '/<!-- example:begin -->/,/<!-- example:end -->/p' README.md | sed '1,2d;$$d' | sed '$$d' > $(BUILD)/readme_example.c
	$(CC) $(WARN) -Iinclude $(BUILD)/readme_example.c $(BUILD)/libnidus.a -pthread -lm -o $(BUILD)/readme_example
	rm -rf /tmp/nidus-readme && ./$(BUILD)/readme_example && rm -rf /tmp/nidus-readme

# What the README's commands need on a fresh Debian machine (installed if missing).
DEPS_TEST := build-essential pkg-config libjansson-dev python3 libmicrohttpd-dev python3-pytest

# Every step, then one closing line summing all the suites' "N passed, N failed".
test:
	@bash scripts/deps.sh $(DEPS_TEST)
	@mkdir -p $(BUILD)
	@set -o pipefail; $(MAKE) --no-print-directory test-steps 2>&1 | tee $(BUILD)/test.log
	@awk '/^([a-z-]+: )?[0-9]+ passed, [0-9]+ failed/ { sub(/^[a-z-]+: /, ""); p += $$1; f += $$3 } \
	     END { printf "total: %d passed, %d failed\n", p, f; exit f > 0 }' $(BUILD)/test.log

test-steps: lib symbols header-check readme-example check test-san cli-test python-test python-test-san server-test

demo:
	@bash scripts/deps.sh $(DEPS_TEST)
	@command -v npm >/dev/null || bash scripts/deps.sh npm  # any npm will do
	@$(MAKE) --no-print-directory $(BUILD)/nidus $(PY_OUT)/.built
	NIDUS=$(CURDIR)/$(BUILD)/nidus NIDUS_PYTHONPATH=$(PY_OUT) bash scripts/demo.sh

install: lib
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/nidus.h $(DESTDIR)$(PREFIX)/include/nidus.h
	install -m 644 $(BUILD)/libnidus.a $(DESTDIR)$(PREFIX)/lib/libnidus.a
	install -m 755 $(BUILD)/libnidus.so $(DESTDIR)$(PREFIX)/lib/libnidus.so.$(VERSION)
	ln -sf libnidus.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libnidus.so.$(SOMAJOR)
	ln -sf libnidus.so.$(SOMAJOR) $(DESTDIR)$(PREFIX)/lib/libnidus.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' nidus.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/nidus.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/nidus.h $(DESTDIR)$(PREFIX)/lib/libnidus.* \
	      $(DESTDIR)$(PREFIX)/lib/pkgconfig/nidus.pc

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

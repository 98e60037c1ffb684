# fuzz/fuzz.mk — the fuzz targets (fuzz/fuzz_*.c), included by the top Makefile.
#
#   make fuzz-replay     every committed corpus (fuzz/corpus/<target>/) through its
#                        target, built with $(CC) and this build's flags (so under
#                        test-san with ASan+UBSan); part of `make test` and of every
#                        full `make check`
#   make fuzz            libFuzzer (clang -fsanitize=fuzzer,address,undefined): each
#                        target for FUZZ_SECONDS (default 60) under nice -n 19,
#                        growing fuzz/corpus-work/<target>/, then merging what adds
#                        coverage into build/libfuzzer/merge/<target>/; prints a
#                        table of executions per target
#   make fuzz-quick      the same for 10 seconds per target
#   make fuzz FUZZ_TARGETS="api open" FUZZ_SECONDS=300   a subset, longer

# Included before `all:` is defined: keep `make` meaning `make all`.
.DEFAULT_GOAL := all

FUZZ_TARGETS ?= header frame log open filter_glob api
# The CLI's JSON readers, once cli/ is there.
ifneq ($(wildcard cli/json.c),)
FUZZ_TARGETS += cli_json cli_import
endif
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   := build/libfuzzer
FUZZ_HDR     := fuzz/common.h fuzz/op_check.h fuzz/reference.h include/nidus.h src/nidus_internal.h src/db.h src/coll.h
FUZZ_JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
FUZZ_JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

.PHONY: fuzz fuzz-quick fuzz-replay fuzz-build

# ------------------------------------------------------------------ replay ----

FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)

$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(FUZZ_HDR) $(BUILD)/libnidus.a
	@mkdir -p $(dir $@)
	@echo "CC $@"; $(CC) $(CFLAGS_ALL) -Ifuzz $(FUZZ_XFLAGS) -o $@ fuzz/fuzz_$*.c $(FUZZ_XSRC) fuzz/replay.c \
	    $(BUILD)/libnidus.a $(LDSAN) -pthread $(FUZZ_XLIBS) -lm

# cli_import compiles cli/import.c in (its readers are static) and links cli/json.c.
$(BUILD)/fuzz/replay_cli_import $(FUZZ_BUILD)/fuzz_cli_import: cli/import.c cli/json.c cli/json.h cli/cli.h
$(BUILD)/fuzz/replay_cli_import $(FUZZ_BUILD)/fuzz_cli_import: FUZZ_XSRC := cli/json.c
$(BUILD)/fuzz/replay_cli_import $(FUZZ_BUILD)/fuzz_cli_import: FUZZ_XFLAGS := -Icli $(FUZZ_JANSSON_CFLAGS)
$(BUILD)/fuzz/replay_cli_import $(FUZZ_BUILD)/fuzz_cli_import: FUZZ_XLIBS := $(FUZZ_JANSSON_LIBS)

# cli_json links cli/json.c (with stubs for the rest of the CLI) and jansson.
$(BUILD)/fuzz/replay_cli_json $(FUZZ_BUILD)/fuzz_cli_json: cli/json.c cli/json.h cli/cli.h
$(BUILD)/fuzz/replay_cli_json $(FUZZ_BUILD)/fuzz_cli_json: FUZZ_XSRC := cli/json.c
$(BUILD)/fuzz/replay_cli_json $(FUZZ_BUILD)/fuzz_cli_json: FUZZ_XFLAGS := -Icli $(FUZZ_JANSSON_CFLAGS)
$(BUILD)/fuzz/replay_cli_json $(FUZZ_BUILD)/fuzz_cli_json: FUZZ_XLIBS := $(FUZZ_JANSSON_LIBS)

# Runs each target's corpus; the last line sums them up.
fuzz-replay: $(FUZZ_REPLAY_BINS)
	@total=0; failed=0; \
	for t in $(FUZZ_TARGETS); do \
	    line=$$(./$(BUILD)/fuzz/replay_$$t fuzz/corpus/$$t); st=$$?; \
	    echo "  $$line"; \
	    n=$$(echo "$$line" | sed -n 's/.*: \([0-9][0-9]*\) inputs, [0-9][0-9]* failures$$/\1/p'); \
	    f=$$(echo "$$line" | sed -n 's/.*: [0-9][0-9]* inputs, \([0-9][0-9]*\) failures$$/\1/p'); \
	    [ -n "$$n" ] || n=0; [ -n "$$f" ] || f=1; \
	    [ $$st -eq 0 ] || [ $$f -gt 0 ] || f=1; \
	    total=$$((total + n)); failed=$$((failed + f)); \
	done; \
	echo "fuzz-replay: $$((total - failed)) passed, $$failed failed"; \
	[ $$failed -eq 0 ]

# A full `make check` of any build (plain, test-san's ASan+UBSan, CC=clang) also
# replays the corpora; not when T= picks some tests, nor under TSan.
ifeq ($(T)$(filter thread,$(SAN)),)
check: fuzz-replay
endif

# ---------------------------------------------------------------- libFuzzer ----

FUZZ_CFLAGS := $(WARN) $(DEFS) -O1 -g -ffp-contract=off -fno-omit-frame-pointer -pthread \
               -Iinclude -Isrc -Ifuzz -fno-sanitize-recover=all
FUZZ_LIB_OBJ := $(LIB_SRC:src/%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

# The library with coverage instrumentation and the sanitizers, no fuzzer main.
$(FUZZ_BUILD)/obj/%.o: src/%.c include/nidus.h src/nidus_internal.h src/db.h src/coll.h src/le.h
	@mkdir -p $(dir $@)
	@echo "CC(fuzz) $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_BUILD)/libnidus.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_HDR) $(FUZZ_BUILD)/libnidus.a
	@echo "CC(fuzz) $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_XFLAGS) -fsanitize=fuzzer,address,undefined -o $@ \
	    fuzz/fuzz_$*.c $(FUZZ_XSRC) $(FUZZ_BUILD)/libnidus.a $(FUZZ_XLIBS) -lm

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-quick:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

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

FUZZ_TARGETS ?= header frame log open manifest filter_glob filter_tree api findex shadow
# The CLI's readers (JSON: cli_json; .npy, .fvecs and raw f32 files: cli_import),
# when cli/ is there.
ifneq ($(wildcard cli/json.c),)
FUZZ_TARGETS += cli_json cli_import
endif
# `nidus serve`'s router and handlers (cli/serve_api.c, with cli/json.c).
ifneq ($(wildcard cli/serve_api.c),)
FUZZ_TARGETS += serve_api
endif
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   := build/libfuzzer
FUZZ_JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
FUZZ_JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

.PHONY: fuzz fuzz-quick fuzz-replay fuzz-build

# ------------------------------------------------------------------ replay ----

# Each binary compiles its target (one source, so -MMD -MF names every header it
# read) and links fuzz/replay.c's main() and, for the CLI targets, cli/json.c, each
# compiled once.
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)

$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c $(BUILD)/fuzz/replay.o $(BUILD)/libnidus.a
	@mkdir -p $(dir $@)
	@echo "CC $@"; $(CC) $(CFLAGS_ALL) -Ifuzz $(FUZZ_XFLAGS) $(DEPFLAGS) -MF $@.d -o $@ fuzz/fuzz_$*.c \
	    $(FUZZ_XOBJ) $(BUILD)/fuzz/replay.o $(BUILD)/libnidus.a $(LDSAN) -pthread $(FUZZ_XLIBS) -lm

$(BUILD)/fuzz/replay.o: fuzz/replay.c
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS_ALL) $(DEPFLAGS) -c $< -o $@

$(BUILD)/fuzz/cli_json.o: cli/json.c
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS_ALL) -Icli $(FUZZ_JANSSON_CFLAGS) $(DEPFLAGS) -c $< -o $@

# The CLI targets: cli_import compiles cli/import.c in (its readers are static);
# cli_json has stubs for the rest of the CLI. Both link cli/json.c and jansson.
FUZZ_CLI_REPLAY_BINS := $(BUILD)/fuzz/replay_cli_import $(BUILD)/fuzz/replay_cli_json
$(FUZZ_CLI_REPLAY_BINS): $(BUILD)/fuzz/cli_json.o
$(FUZZ_CLI_REPLAY_BINS): FUZZ_XOBJ := $(BUILD)/fuzz/cli_json.o
$(FUZZ_CLI_REPLAY_BINS): FUZZ_XFLAGS := -Icli $(FUZZ_JANSSON_CFLAGS)
$(FUZZ_CLI_REPLAY_BINS): FUZZ_XLIBS := $(FUZZ_JANSSON_LIBS)

$(BUILD)/fuzz/serve_api.o: cli/serve_api.c
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS_ALL) -Icli $(FUZZ_JANSSON_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/fuzz/replay_serve_api: $(BUILD)/fuzz/cli_json.o $(BUILD)/fuzz/serve_api.o
$(BUILD)/fuzz/replay_serve_api: FUZZ_XOBJ := $(BUILD)/fuzz/cli_json.o $(BUILD)/fuzz/serve_api.o
$(BUILD)/fuzz/replay_serve_api: FUZZ_XFLAGS := -Icli $(FUZZ_JANSSON_CFLAGS)
$(BUILD)/fuzz/replay_serve_api: FUZZ_XLIBS := $(FUZZ_JANSSON_LIBS)

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
$(FUZZ_BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "CC(fuzz) $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined $(DEPFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libnidus.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_BUILD)/libnidus.a
	@echo "CC(fuzz) $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_XFLAGS) -fsanitize=fuzzer,address,undefined $(DEPFLAGS) \
	    -MF $@.d -o $@ fuzz/fuzz_$*.c $(FUZZ_XOBJ) $(FUZZ_BUILD)/libnidus.a $(FUZZ_XLIBS) -lm

$(FUZZ_BUILD)/cli_json.o: cli/json.c
	@mkdir -p $(dir $@)
	@echo "CC(fuzz) $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) -Icli $(FUZZ_JANSSON_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	    $(DEPFLAGS) -c $< -o $@

FUZZ_CLI_LIBFUZZER_BINS := $(FUZZ_BUILD)/fuzz_cli_import $(FUZZ_BUILD)/fuzz_cli_json
$(FUZZ_CLI_LIBFUZZER_BINS): $(FUZZ_BUILD)/cli_json.o
$(FUZZ_CLI_LIBFUZZER_BINS): FUZZ_XOBJ := $(FUZZ_BUILD)/cli_json.o
$(FUZZ_CLI_LIBFUZZER_BINS): FUZZ_XFLAGS := -Icli $(FUZZ_JANSSON_CFLAGS)
$(FUZZ_CLI_LIBFUZZER_BINS): FUZZ_XLIBS := $(FUZZ_JANSSON_LIBS)

$(FUZZ_BUILD)/serve_api.o: cli/serve_api.c
	@mkdir -p $(dir $@)
	@echo "CC(fuzz) $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) -Icli $(FUZZ_JANSSON_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	    $(DEPFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_serve_api: $(FUZZ_BUILD)/cli_json.o $(FUZZ_BUILD)/serve_api.o
$(FUZZ_BUILD)/fuzz_serve_api: FUZZ_XOBJ := $(FUZZ_BUILD)/cli_json.o $(FUZZ_BUILD)/serve_api.o
$(FUZZ_BUILD)/fuzz_serve_api: FUZZ_XFLAGS := -Icli $(FUZZ_JANSSON_CFLAGS)
$(FUZZ_BUILD)/fuzz_serve_api: FUZZ_XLIBS := $(FUZZ_JANSSON_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-quick:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

-include $(FUZZ_REPLAY_BINS:=.d) $(BUILD)/fuzz/replay.d $(BUILD)/fuzz/cli_json.d $(BUILD)/fuzz/serve_api.d
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BINS:=.d) $(FUZZ_BUILD)/cli_json.d $(FUZZ_BUILD)/serve_api.d

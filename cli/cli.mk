# cli/cli.mk — the `nidus` command-line tool, included by the top Makefile.
# The CLI sees only the public header (-Iinclude, never -Isrc) and links the static
# library, so it exercises exactly what an application gets.

CLI_SRC  := $(sort $(wildcard cli/*.c))
CLI_OBJ  := $(CLI_SRC:cli/%.c=$(BUILD)/cliobj/%.o)
JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
# `nidus serve` (cli/serve*.c) is built on libmicrohttpd (Debian libmicrohttpd-dev).
MHD_LIBS       := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
CLI_CFLAGS := $(WARN) $(DEFS) $(OPT) -ffp-contract=off -pthread -Iinclude $(JANSSON_CFLAGS) $(CFLAGS)
ifneq ($(SAN),)
CLI_CFLAGS += -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

# `make` (all) also builds the CLI.
.PHONY: cli cli-test cli-test-san
all: $(BUILD)/nidus
cli: $(BUILD)/nidus

$(BUILD)/cliobj/%.o: cli/%.c
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CLI_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/nidus: $(CLI_OBJ) $(BUILD)/libnidus.a
	$(CC) $(LDSAN) -pthread -o $@ $(CLI_OBJ) $(BUILD)/libnidus.a $(JANSSON_LIBS) $(MHD_LIBS) -lm

# The CLI cases (tests/cli/run.sh) against this build's binary.
cli-test: $(BUILD)/nidus
	NIDUS=$(CURDIR)/$(BUILD)/nidus bash tests/cli/run.sh $(T)

# `nidus serve` black-box (tests/server, pytest from Debian's python3-pytest): the
# real binary on port 0, every route and limit, kills and restarts.
SERVER_PY ?= /usr/bin/python3
.PHONY: server-test server-test-san
server-test: $(BUILD)/nidus
	NIDUS=$(CURDIR)/$(BUILD)/nidus $(SERVER_PY) -m pytest -q -p no:cacheprovider tests/server $(if $(T),-k "$(T)")

server-test-san:
	$(MAKE) BUILD=build/san SAN=address,undefined OPT="-O1 -g" server-test

# The same cases with the CLI and library under ASan+UBSan.
cli-test-san:
	$(MAKE) BUILD=build/san SAN=address,undefined OPT="-O1 -g" cli-test

-include $(CLI_OBJ:.o=.d)

# Vigil build: one static library per directory under src/, one binary per main.c.
# `make` builds everything, `make test` installs what is missing and runs every test,
# `make demo` runs the demo, `make asan` builds the sanitizer variant into build-asan/.

BUILD   ?= build
CC      ?= cc
CSTD    := -std=c17 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN    += -Werror
endif
OPT     ?= -O2 -g
SAN     ?=
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SAN) -Isrc -MMD -MP
LDFLAGS_ALL = $(SAN) -pthread

PKG_COMMON  := libsodium jansson
PKG_SERVER  := $(PKG_COMMON) libmicrohttpd sqlite3 libcurl
PKG_GATEWAY := $(PKG_COMMON) libavformat libavcodec libavutil libcurl
PKG_CLI     := $(PKG_COMMON) libavformat libavcodec libavutil libcurl
PKG_CAMSIM  := gstreamer-rtsp-server-1.0 gstreamer-app-1.0 gstreamer-1.0
PKG_TESTS   := $(sort $(PKG_SERVER) $(PKG_GATEWAY)) cmocka

pkgcflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pkglibs   = $(shell pkg-config --libs $(1) 2>/dev/null)

COMMON_SRC  := $(wildcard src/common/*.c)
SERVER_SRC  := $(filter-out src/server/main.c,$(wildcard src/server/*.c))
GATEWAY_SRC := $(filter-out src/gateway/main.c,$(wildcard src/gateway/*.c))
CLI_SRC     := $(filter-out src/cli/main.c,$(wildcard src/cli/*.c))
CAMSIM_SRC  := $(wildcard src/camsim/*.c)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
TOOL_SRC    := $(wildcard tests/tools/*.c)
BENCH_SRC   := $(wildcard bench/tools/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

BINS := $(BUILD)/bin/vigil-server $(BUILD)/bin/vigil-gateway $(BUILD)/bin/vigil \
        $(BUILD)/bin/vigil-camsim
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC)) \
         $(patsubst bench/tools/%.c,$(BUILD)/tools/%,$(BENCH_SRC))

.PHONY: all test demo asan fuzz bench deps clean check-deps
all: check-deps $(BINS) $(UNITS) $(TOOLS)

check-deps:
	@scripts/check-deps.sh

$(BUILD)/obj/src/common/%.o: src/common/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call pkgcflags,$(PKG_COMMON)) -c $< -o $@
$(BUILD)/obj/src/server/%.o: src/server/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call pkgcflags,$(PKG_SERVER)) -c $< -o $@
$(BUILD)/obj/src/gateway/%.o: src/gateway/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call pkgcflags,$(PKG_GATEWAY)) -c $< -o $@
$(BUILD)/obj/src/cli/%.o: src/cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call pkgcflags,$(PKG_CLI)) -c $< -o $@
$(BUILD)/obj/src/camsim/%.o: src/camsim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call pkgcflags,$(PKG_CAMSIM)) -c $< -o $@
$(BUILD)/obj/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call pkgcflags,$(PKG_TESTS)) -c $< -o $@
$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call pkgcflags,$(PKG_TESTS)) -c $< -o $@

$(BUILD)/libcommon.a: $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(BUILD)/libserver.a: $(call obj,$(SERVER_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(BUILD)/libgateway.a: $(call obj,$(GATEWAY_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(BUILD)/libcli.a: $(call obj,$(CLI_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^

$(BUILD)/bin/vigil-server: $(call obj,src/server/main.c) $(BUILD)/libserver.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkglibs,$(PKG_SERVER))
$(BUILD)/bin/vigil-gateway: $(call obj,src/gateway/main.c) $(BUILD)/libgateway.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkglibs,$(PKG_GATEWAY))
$(BUILD)/bin/vigil: $(call obj,src/cli/main.c) $(BUILD)/libcli.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkglibs,$(PKG_CLI))
$(BUILD)/bin/vigil-camsim: $(call obj,$(CAMSIM_SRC)) $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkglibs,$(PKG_CAMSIM)) $(call pkglibs,$(PKG_COMMON))

# Unit tests link every module library; the linker takes only what each test uses.
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libserver.a $(BUILD)/libgateway.a $(BUILD)/libcli.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkglibs,$(PKG_TESTS))
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkglibs,$(PKG_TESTS))
$(BUILD)/tools/%: $(BUILD)/obj/bench/tools/%.o $(BUILD)/libserver.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(call pkglibs,$(PKG_TESTS))

# The browser console (docs/design/console.md): web/ plus the libsodium browser build from
# node_modules, with SRI hashes written into index.html, in $(BUILD)/web for vigil-server.
WEB_SRC := $(wildcard web/*.js web/*.css web/*.html) web/build.sh
all: $(BUILD)/web/index.html
$(BUILD)/web/index.html: $(WEB_SRC)
	@web/build.sh web $(BUILD)/web

test:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@tests/run-all.sh

demo:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@$(BUILD)/bin/vigil demo --substreams

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all

fuzz:
	@scripts/build-fuzz.sh

bench:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@bench/run-all.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

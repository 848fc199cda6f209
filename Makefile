# csemu - local emulator of Oracle NoSQL Database Cloud Change Streams.
#
#   make            build build/csemu, build/csemu-cli, build/libcsclient.a
#   make run        install missing Debian packages, build, serve on :8080
#   make test       install missing packages, build, run every test
#                   (unit + client + fuzz-corpus replay, plain and ASan+UBSan,
#                   and the official Node.js SDK tests)
#   make bench      performance figures with their ratio to the targets
#
# Layering (enforced by include paths): proto/ is pure encoding/decoding,
# store/ owns LMDB, server/ wires HTTP to handlers, client-tests/ is the
# reference client. Outputs go to $(BUILD) (build/, or build-san/ with
# SANITIZE=1). Pass extra flags through XCFLAGS / XLDFLAGS.

# ---- configuration -------------------------------------------------------
CC        ?= gcc
SANITIZE  ?= 0
BUILD     ?= $(if $(filter 1,$(SANITIZE)),build-san,build)
OPT       ?= -O2
XCFLAGS   ?=
XLDFLAGS  ?=
PORT      ?= 8080
HOST      ?= 127.0.0.1
DATA      ?= ./csemu-data

# Debian packages the build, the tests and the benches need.
DEB_BUILD = gcc make pkg-config libmicrohttpd-dev liblmdb-dev libjansson-dev \
            check libcurl4-openssl-dev libssl-dev
# nodejs + npm are installed only when the node or npm command is missing:
# a NodeSource nodejs bundles npm and conflicts with Debian's npm package.
# Debian 12's nodejs 18 + npm 9 run the Node SDK tests too.
DEB_TEST  = $(DEB_BUILD)
DEB_BENCH = $(DEB_BUILD) wrk redis-server redis-tools

PKGS      = libmicrohttpd lmdb jansson libcurl libcrypto
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) -pthread \
              -fno-strict-aliasing
SANFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ifeq ($(SANITIZE),1)
CFLAGS_BASE += $(SANFLAGS)
LDSAN = $(SANFLAGS)
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS    = $(CFLAGS_BASE) $(PKG_CFLAGS) $(XCFLAGS)
LDFLAGS   = -pthread $(LDSAN) $(XLDFLAGS)

LIB_PROTO_DEPS  = $(shell pkg-config --libs jansson 2>/dev/null) -lm
LIB_STORE_DEPS  = $(shell pkg-config --libs lmdb libcrypto 2>/dev/null)
LIB_SERVER_DEPS = $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
LIB_CLIENT_DEPS = $(shell pkg-config --libs libcurl 2>/dev/null)
CHECK_LIBS      = $(shell pkg-config --libs check 2>/dev/null)

# ---- sources -------------------------------------------------------------
PROTO_SRC  = $(wildcard proto/*.c)
STORE_SRC  = $(wildcard store/*.c)
SERVER_SRC = $(filter-out server/main.c,$(wildcard server/*.c))
CLIENT_SRC = $(wildcard client-tests/lib/*.c)
CLI_SRC    = $(wildcard client-tests/cli/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBPROTO  = $(BUILD)/libcsproto.a
LIBSTORE  = $(BUILD)/libcsstore.a
LIBSERVER = $(BUILD)/libcsserver.a
LIBCLIENT = $(BUILD)/libcsclient.a
SERVER_BIN = $(BUILD)/csemu
CLI_BIN    = $(BUILD)/csemu-cli

PROTO_TESTS  = $(patsubst proto/tests/%.c,$(BUILD)/tests/proto_%,$(wildcard proto/tests/check_*.c))
STORE_TESTS  = $(patsubst store/tests/%.c,$(BUILD)/tests/store_%,$(wildcard store/tests/check_*.c))
SERVER_TESTS = $(patsubst server/tests/%.c,$(BUILD)/tests/server_%,$(wildcard server/tests/check_*.c))
CLIENT_TESTS = $(patsubst client-tests/tests/%.c,$(BUILD)/tests/client_%,$(wildcard client-tests/tests/check_*.c))
FUZZ_BINS    = $(patsubst proto/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard proto/fuzz/fuzz_*.c))
TEST_SUPPORT = $(wildcard client-tests/tests/support/*.c)

INC_PROTO  = -Iproto
INC_STORE  = -Iproto -Istore
INC_SERVER = -Iproto -Istore -Iserver
INC_CLIENT = -Iproto -Iclient-tests/lib

.PHONY: all deps deps-test deps-bench run test test-unit test-client test-node \
        test-fuzz test-proto test-store test-server test-san bench clean sdk-python
all: $(SERVER_BIN) $(CLI_BIN) $(LIBCLIENT)

# ---- Debian packages -----------------------------------------------------
# Installs only what is missing; needs root (or sudo) the first time.
define install_debs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
endef
deps:       ; $(call install_debs,$(DEB_BUILD))
deps-test:
	$(call install_debs,$(DEB_TEST))
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian packages: nodejs npm"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
deps-bench: ; $(call install_debs,$(DEB_BENCH))

# ---- build rules ---------------------------------------------------------
$(BUILD)/obj/proto/%.o: proto/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_PROTO) -MMD -MP -c $< -o $@
$(BUILD)/obj/store/%.o: store/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_STORE) -MMD -MP -c $< -o $@
$(BUILD)/obj/server/%.o: server/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_SERVER) -MMD -MP -c $< -o $@
$(BUILD)/obj/client-tests/%.o: client-tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_CLIENT) -MMD -MP -c $< -o $@

$(LIBPROTO): $(call obj,$(PROTO_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIBSTORE): $(call obj,$(STORE_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIBSERVER): $(call obj,$(SERVER_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(LIBCLIENT): $(call obj,$(CLIENT_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^

$(SERVER_BIN): $(call obj,server/main.c) $(LIBSERVER) $(LIBSTORE) $(LIBPROTO)
	$(CC) $(LDFLAGS) $^ $(LIB_SERVER_DEPS) $(LIB_STORE_DEPS) $(LIB_PROTO_DEPS) -o $@
$(CLI_BIN): $(call obj,$(CLI_SRC)) $(LIBCLIENT) $(LIBPROTO)
	$(CC) $(LDFLAGS) $^ $(LIB_CLIENT_DEPS) $(LIB_PROTO_DEPS) -o $@

# unit tests: one Check binary per test file, linked with its layer
$(BUILD)/tests/proto_%: proto/tests/%.c $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_PROTO) $< $(LIBPROTO) $(LDFLAGS) $(CHECK_LIBS) $(LIB_PROTO_DEPS) -o $@
$(BUILD)/tests/store_%: store/tests/%.c $(LIBSTORE) $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_STORE) $< $(LIBSTORE) $(LIBPROTO) $(LDFLAGS) $(CHECK_LIBS) $(LIB_STORE_DEPS) $(LIB_PROTO_DEPS) -o $@
$(BUILD)/tests/server_%: server/tests/%.c $(LIBSERVER) $(LIBSTORE) $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_SERVER) $< $(LIBSERVER) $(LIBSTORE) $(LIBPROTO) $(LDFLAGS) $(CHECK_LIBS) $(LIB_SERVER_DEPS) $(LIB_STORE_DEPS) $(LIB_PROTO_DEPS) -o $@
$(BUILD)/tests/client_%: client-tests/tests/%.c $(TEST_SUPPORT) $(LIBCLIENT) $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_CLIENT) -Iclient-tests/tests/support $< $(TEST_SUPPORT) $(LIBCLIENT) $(LIBPROTO) $(LDFLAGS) $(CHECK_LIBS) $(LIB_CLIENT_DEPS) $(LIB_PROTO_DEPS) -o $@
# fuzz harnesses: built as plain replay programs (libFuzzer entry point + main)
$(BUILD)/fuzz/%: proto/fuzz/%.c proto/fuzz/replay_main.c $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_PROTO) $< proto/fuzz/replay_main.c $(LIBPROTO) $(LDFLAGS) $(LIB_PROTO_DEPS) -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- running -------------------------------------------------------------
run: deps
	@$(MAKE) --no-print-directory $(SERVER_BIN)
	$(SERVER_BIN) --host $(HOST) --port $(PORT) --data $(DATA)

# ---- tests ---------------------------------------------------------------
# Check prints "N%: Checks: X, Failures: Y, Errors: Z" per binary.
VECTORS ?= $(abspath ../shared/protocol/vectors)
export CSEMU_VECTORS = $(VECTORS)
export CK_DEFAULT_TIMEOUT = 60

define run_tests
	@set -e; for t in $(1); do echo "== $$t"; CSEMU_BIN=$(abspath $(SERVER_BIN)) CSEMU_CLI=$(abspath $(CLI_BIN)) $$t; done
endef

test-proto: $(PROTO_TESTS)
	$(call run_tests,$(PROTO_TESTS))
test-store: $(STORE_TESTS)
	$(call run_tests,$(STORE_TESTS))
test-server: $(SERVER_TESTS)
	$(call run_tests,$(SERVER_TESTS))
test-client: $(SERVER_BIN) $(CLI_BIN) $(CLIENT_TESTS)
	$(call run_tests,$(CLIENT_TESTS))
test-fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do n=$$(basename $$f); \
	  echo "== $$n: replaying corpus"; $$f proto/fuzz/corpus/$${n#fuzz_} proto/fuzz/crashes $(VECTORS); done
test-unit: test-proto test-store test-server test-fuzz

test-node: $(SERVER_BIN)
	CSEMU_BIN=$(abspath $(SERVER_BIN)) client-tests/node/run.sh

# Everything, plain then under ASan+UBSan, then the official Node SDK.
test: deps-test
	@$(MAKE) --no-print-directory all test-unit test-client
	@$(MAKE) --no-print-directory SANITIZE=1 all test-unit test-client
	@$(MAKE) --no-print-directory test-node
	@echo "all test suites passed"

# ---- benchmarks (never part of make test) --------------------------------
bench: deps-bench
	@$(MAKE) --no-print-directory OPT=-O2 all $(BUILD)/bench/csbench
	client-tests/bench/run.sh $(abspath $(BUILD))

$(BUILD)/bench/csbench: $(wildcard client-tests/bench/*.c client-tests/bench/*.h) $(LIBCLIENT) $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_CLIENT) $(wildcard client-tests/bench/*.c) $(LIBCLIENT) $(LIBPROTO) $(LDFLAGS) $(LIB_CLIENT_DEPS) $(LIB_PROTO_DEPS) $(shell pkg-config --libs lmdb) -o $@

clean:
	rm -rf build build-san build-*

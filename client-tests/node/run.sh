#!/bin/sh
# run.sh - drive csemu with the official Node.js SDK (npm oracle-nosqldb,
# pinned in package-lock.json).
#
#   CSEMU_BIN=/abs/path/to/csemu client-tests/node/run.sh [test files...]
#
# Installs the pinned SDK with `npm ci` when node_modules is missing or was
# installed from another lockfile, starts its own csemu on an ephemeral port
# with a fresh data directory, runs the tests with Node's built-in runner,
# stops that server (by its pid only) and removes the directory. Exits
# non-zero if any test fails, or if the server dies during the run.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 2

if [ -z "${CSEMU_BIN:-}" ] || [ ! -x "$CSEMU_BIN" ]; then
    echo "run.sh: set CSEMU_BIN to the csemu binary (got '${CSEMU_BIN:-}')" >&2
    exit 2
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "run.sh: $tool not found (make deps-test installs it)" >&2
        exit 2
    fi
done

# ---- the pinned SDK ------------------------------------------------------
# A copy of the lockfile in node_modules records what was installed; any
# difference means a stale install. oracle-nosqldb 5.5.4 declares
# node >= 24 but runs on Node 18 and 20, hence --engine-strict=false.
stamp=node_modules/.csemu-lock.json
if [ ! -f node_modules/oracle-nosqldb/package.json ] ||
   ! cmp -s package-lock.json "$stamp"; then
    echo "run.sh: installing the pinned Node.js SDK (npm ci)"
    if ! npm ci --no-audit --no-fund --engine-strict=false \
            --loglevel=error >npm-ci.log 2>&1; then
        cat npm-ci.log >&2
        rm -f npm-ci.log
        echo "run.sh: npm ci failed" >&2
        exit 2
    fi
    rm -f npm-ci.log
    cp package-lock.json "$stamp"
fi

# ---- the server ----------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/csemu-node.XXXXXX") || exit 2
pid=""

stop_server() {
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "run.sh: csemu (pid $pid) ignored SIGTERM; killing it" >&2
        kill -9 "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    pid=""
}
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$CSEMU_BIN" --host 127.0.0.1 --port 0 --data "$work/data" \
    --log-level warn >"$work/stdout" 2>"$work/stderr" &
pid=$!

port=""
i=0
while [ $i -lt 100 ]; do
    port=$(sed -n 's|.*ready on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' \
        "$work/stdout" | head -n 1)
    [ -n "$port" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "run.sh: csemu did not print its ready line; its output:" >&2
    cat "$work/stdout" "$work/stderr" >&2
    exit 1
fi
echo "run.sh: csemu (pid $pid) ready on port $port"

# ---- the tests -----------------------------------------------------------
if [ $# -eq 0 ]; then
    set -- test/*.test.js
fi
CSEMU_ENDPOINT="http://127.0.0.1:$port" \
    node --test --test-reporter=spec "$@"
rc=$?

if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: csemu died during the tests; its stderr:" >&2
    tail -n 50 "$work/stderr" >&2
    [ $rc -ne 0 ] || rc=1
elif [ $rc -ne 0 ] && [ -s "$work/stderr" ]; then
    echo "run.sh: csemu stderr (last 50 lines):" >&2
    tail -n 50 "$work/stderr" >&2
fi
stop_server
exit $rc

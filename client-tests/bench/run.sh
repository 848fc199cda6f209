#!/usr/bin/env bash
# run.sh BUILD_DIR - `make bench`: run csbench against BUILD_DIR/csemu.
#
# Everything csbench starts (csemu, redis-server) listens on 127.0.0.1 on
# an ephemeral port and is stopped before it exits; scratch data goes to
# BUILD_DIR/bench/run-XXXXXX and is removed. The output is also kept in
# BUILD_DIR/bench/last-run.txt. Extra csbench flags: CSBENCH_ARGS
# (e.g. CSBENCH_ARGS="--only sync --run-ms 1000").
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
redis=$(command -v redis-server || true)
[ -n "$redis" ] || echo "run.sh: redis-server not found: the Redis yardstick is skipped" >&2
# shellcheck disable=SC2086
"$build/bench/csbench" --server "$build/csemu" --work-parent "$build/bench" \
    ${redis:+--redis "$redis"} ${CSBENCH_ARGS:-} | tee "$build/bench/last-run.txt"

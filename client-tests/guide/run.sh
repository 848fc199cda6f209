#!/usr/bin/env bash
# Runs the Change Streams guide's examples (guide_examples.py) with the
# official Python SDK against a fresh csemu on an ephemeral port. The SDK is
# extracted at run time from a clone or mirror of oracle/nosql-python-sdk
# (branch feature/cdc) and never belongs in the project; CI cannot fetch it,
# so this runs on a developer machine:
#
#   BORNEO_MIRROR=<git dir> client-tests/guide/run.sh [path/to/csemu]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/csemu}
mirror=${BORNEO_MIRROR:?set BORNEO_MIRROR to the git directory of oracle/nosql-python-sdk}
py=/usr/bin/python3
$py -c "import requests, dateutil" 2>/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-requests python3-dateutil >/dev/null; }
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
git -C "$mirror" archive feature/cdc src | tar -x -C "$work"
"$bin" --host 127.0.0.1 --port 0 --data "$work/data" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q 'ready on' "$work/out" 2>/dev/null && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*' "$work/out")
CSEMU_ENDPOINT=$url PYTHONPATH=$work/src $py "$here/guide_examples.py"

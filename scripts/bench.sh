#!/usr/bin/env bash
# `make bench`: the SPEC §10 figures. Bundle size, then bounded load runs (wrk, loopback
# only) against a wrangler dev started here on a free port with fresh state.
source "$(dirname "$0")/common.sh"
DURATION=${BENCH_DURATION:-10s}
command -v wrk >/dev/null || die "wrk not found (make setup installs it with apt-get)"

wasm=$(ls build/*.wasm | head -1)
raw=$(stat -c %s "$wasm")
gz=$(cat build/index.js "$wasm" | gzip -9 | wc -c)
js=$(stat -c %s build/index.js)
awk -v raw="$((raw + js))" -v gz="$gz" -v name="bundle (index.js + $(basename "$wasm"))" \
  'BEGIN { printf "\n%-44s %8.1f KiB raw, %8.1f KiB gzip (budget 1024 KiB gzip)\n", name, raw/1024, gz/1024 }'

state=$(mktemp -d "${TMPDIR:-/tmp}/edge-api-bench.XXXXXX")
port=$(free_port)
pgid=""
cleanup() { [ -n "$pgid" ] && stop_group "$pgid"; rm -rf "$state"; }
trap cleanup EXIT INT TERM
wrangler d1 migrations apply DB --local --persist-to "$state/d1" >/dev/null
setsid wrangler dev --ip 127.0.0.1 --port "$port" --persist-to "$state/d1" --env-file tests/e2e.env \
  --show-interactive-dev-session=false --log-level warn >"$state/wrangler.log" 2>&1 </dev/null &
pgid=$!
base="http://127.0.0.1:$port"
wait_healthy "$base" "$state/wrangler.log" "$pgid"

# wrk prints latency percentiles with --latency; pick out req/s, p50 and p99.
run() {
  local label=$1 conns=$2 script=$3 url=$4
  local out
  out=$(wrk -t1 -c"$conns" -d"$DURATION" --latency ${script:+-s "$script"} "$url" 2>&1)
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out")
  printf '%-44s c=%-3s %9s req/s   p50 %-9s p99 %-9s%s\n' "$label" "$conns" "$rps" "$p50" "$p99" \
    "${errs:+   non-2xx: $errs}"
}

echo
run "GET /health" 1 "" "$base/health"
run "GET /health" 10 "" "$base/health"
if [ -f scripts/bench_extra.sh ]; then
  source scripts/bench_extra.sh
fi
echo

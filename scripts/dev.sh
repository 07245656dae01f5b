#!/usr/bin/env bash
# `make dev`: build, apply local D1 migrations, serve on 127.0.0.1:$PORT with local state.
source "$(dirname "$0")/common.sh"
PORT=${PORT:-8787}
STATE_DIR=${STATE_DIR:-.wrangler/state}

bash scripts/build.sh
log "applying D1 migrations to local state in $STATE_DIR"
wrangler d1 migrations apply DB --local --persist-to "$STATE_DIR" >/dev/null
log "starting wrangler dev (crons on demand: GET /__scheduled?cron=*/5+*+*+*+*)"
wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE_DIR" --test-scheduled \
  --show-interactive-dev-session=false &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' INT TERM
for _ in $(seq 1 600); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { wait "$pid"; exit 1; }
  sleep 0.2
done
sleep 0.5  # let wrangler print its own lines first
echo "edge-api is up: API http://127.0.0.1:$PORT  ·  docs http://127.0.0.1:$PORT/docs  (Ctrl-C stops it)"
wait "$pid"

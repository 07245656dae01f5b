#!/usr/bin/env bash
# `make dev`: build, apply local D1 migrations, serve on 127.0.0.1:$PORT with local state.
source "$(dirname "$0")/common.sh"
PORT=${PORT:-8787}
STATE_DIR=${STATE_DIR:-.wrangler/state}

bash scripts/build.sh
log "applying D1 migrations to local state in $STATE_DIR"
wrangler d1 migrations apply DB --local --persist-to "$STATE_DIR" >/dev/null
log "wrangler dev on http://127.0.0.1:$PORT (crons: GET /__scheduled?cron=*/5+*+*+*+*)"
exec wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE_DIR" --test-scheduled \
  --show-interactive-dev-session=false

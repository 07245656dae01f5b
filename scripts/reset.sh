#!/usr/bin/env bash
# `make reset`: wipes the local state of `make dev` (D1, KV, Durable Objects) after asking.
source "$(dirname "$0")/common.sh"
PORT=${PORT:-8787}
STATE_DIR=${STATE_DIR:-.wrangler/state}
if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
  die "make dev is running on port $PORT: stop it (Ctrl-C) first, then make reset"
fi
[ -d "$STATE_DIR" ] || { log "nothing to reset: $STATE_DIR does not exist"; exit 0; }
printf 'Delete every account and all data in %s? [y/N] ' "$STATE_DIR"
read -r answer
case "$answer" in y|Y|yes) ;; *) log "kept $STATE_DIR"; exit 0;; esac
rm -rf "$STATE_DIR"
log "deleted $STATE_DIR; make dev starts fresh (and make seed fills it again)"

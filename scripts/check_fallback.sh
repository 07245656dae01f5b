#!/usr/bin/env bash
# Proves the Debian rustc-web fallback (no rustup wasm32 target) still builds the worker.
source "$(dirname "$0")/common.sh"
previous=$(cat "$TOOLCHAIN_FILE" 2>/dev/null || echo rustup)
restore() { echo "$previous" > "$TOOLCHAIN_FILE"; rm -f build/.edge-api-build; }
trap restore EXIT
WASM_TOOLCHAIN=debian bash scripts/setup.sh
FAST=1 bash scripts/build.sh
ls build/*.wasm >/dev/null 2>&1 || die "the fallback build produced no wasm"
log "Debian rustc-web fallback builds the worker"

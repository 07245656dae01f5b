#!/usr/bin/env bash
# Builds the Worker bundle (build/index.js + wasm) with worker-build, using the pinned
# local tools instead of letting worker-build download any. Skips when nothing changed.
# FAST=1 skips wasm-opt (quicker dev loop, larger bundle); NAMES=1 keeps the functions'
# names in the wasm (for a CPU profile: scripts/profile.mjs).
source "$(dirname "$0")/common.sh"

out=build/index.js
stamp=build/.edge-api-build
mode=$(cat "$TOOLCHAIN_FILE" 2>/dev/null || echo rustup)
want="$mode fast=${FAST:-0} names=${NAMES:-0}"
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -z "$(find src web Cargo.toml Cargo.lock scripts/build.sh scripts/patch_glue.mjs -newer "$stamp" -print -quit)" ]; then
  exit 0
fi

export WASM_BINDGEN_BIN="$TOOLS_DIR/bin/wasm-bindgen"
export ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"
[ -x "$ESBUILD_BIN" ] || ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
[ -x "$TOOLS_DIR/bin/worker-build" ] || die "worker-build missing: run make setup"

args=(--release)
[ "${FAST:-0}" = 1 ] && args+=(--no-opt)

if [ "$mode" = debian ]; then
  # Debian's rustc-web has no prebuilt wasm32 std: build it, for this build only.
  export PATH="$LOCAL_DIR/debian-rustc/bin:/usr/bin:$PATH"
  export RUSTC="$LOCAL_DIR/debian-rustc/bin/rustc"
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_TARGET_DIR="$ROOT/target/wasm-debian"
else
  export CARGO_TARGET_DIR="$ROOT/target/wasm"
fi

log "building the worker ($mode${FAST:+, no wasm-opt})"
"$TOOLS_DIR/bin/worker-build" "${args[@]}"
# A plain module handler instead of the per-request entrypoint Proxy, and microtasks
# queued natively (scripts/patch_glue.mjs says why).
node scripts/patch_glue.mjs build/index.js
if [ "${FAST:-0}" != 1 ] && [ "${NAMES:-0}" != 1 ]; then
  # The shipped module needs no debug names (panics still print their messages): about
  # 100 KiB of gzip less. The named copy is what `make bench` sizes functions with.
  cp build/index_bg.wasm "$CARGO_TARGET_DIR/edge_api.optimised-with-names.wasm"
  "$WASM_OPT_BIN" build/index_bg.wasm --all-features --strip-debug --strip-producers -o build/index_bg.wasm
fi
echo "$want" > "$stamp"

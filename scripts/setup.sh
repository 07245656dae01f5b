#!/usr/bin/env bash
# Installs what is missing. Idempotent: a second run only checks.
#   bash scripts/setup.sh         what building and running need (make dev)
#   bash scripts/setup.sh test    that, plus what the tests need (make test)
#   bash scripts/setup.sh bench   that, plus the load tool (make bench)
#   bash scripts/setup.sh client  that, plus the typed client's packages (make example)
# WASM_TOOLCHAIN=auto (default) | rustup | debian picks how Rust reaches wasm32.
source "$(dirname "$0")/common.sh"
part=${1:-run}
case "$part" in run|test|bench|seed|client) ;; *) die "usage: scripts/setup.sh [run|test|bench|seed|client]";; esac
mkdir -p "$LOCAL_DIR"

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs)"
command -v npm >/dev/null || die "npm not found: install Node.js (any version; wrangler's Node comes from npm)"
command -v python3 >/dev/null || die "python3 not found (used by the schema check and free-port helper)"
command -v curl >/dev/null || die "curl not found"

apt_install() {
  command -v apt-get >/dev/null || return 1
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; }
}

# 1. Rust → wasm32.
mode=${WASM_TOOLCHAIN:-auto}
case "$mode" in auto|rustup|debian) ;; *) die "WASM_TOOLCHAIN must be auto, rustup or debian";; esac
use_rustup() {
  command -v rustup >/dev/null || return 1
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown && return 0
  log "adding the wasm32-unknown-unknown target with rustup"
  rustup target add wasm32-unknown-unknown
}
use_debian() {
  local pkgs=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
  if ! dpkg -s "${pkgs[@]}" >/dev/null 2>&1; then
    log "installing Debian's rustc-web toolchain (std built from source for wasm32)"
    apt_install "${pkgs[@]}" || die "apt-get install ${pkgs[*]} failed"
  fi
  # rust-lld (from rust-web-llvm) is a link to lld-22, which comes separately.
  # worker-build asks rustc for the wasm32 target-libdir and stops when it does not exist;
  # with -Zbuild-std there is none, so answer that one query with an empty directory.
  mkdir -p "$LOCAL_DIR/debian-rustc/bin" "$LOCAL_DIR/debian-rustc/empty-libdir"
  cat > "$LOCAL_DIR/debian-rustc/bin/rustc" <<WRAP
#!/bin/sh
case "\$*" in
  *--print\ target-libdir*) echo "$LOCAL_DIR/debian-rustc/empty-libdir"; exit 0;;
esac
exec /usr/bin/rustc "\$@"
WRAP
  chmod +x "$LOCAL_DIR/debian-rustc/bin/rustc"
}
if [ "$mode" = debian ]; then
  use_debian; echo debian > "$TOOLCHAIN_FILE"
elif use_rustup; then
  echo rustup > "$TOOLCHAIN_FILE"
elif [ "$mode" = auto ]; then
  log "rustup could not provide wasm32-unknown-unknown; falling back to Debian's rustc-web"
  use_debian; echo debian > "$TOOLCHAIN_FILE"
else
  die "rustup target add wasm32-unknown-unknown failed"
fi

# 2. worker-build and wasm-bindgen-cli, pinned, in the shared tools dir.
has_version() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "$2"; }
if ! has_version "$TOOLS_DIR/bin/worker-build" "$WORKER_BUILD_VERSION"; then
  log "cargo install worker-build $WORKER_BUILD_VERSION → $TOOLS_DIR (a few minutes, once)"
  cargo install --quiet --locked --root "$TOOLS_DIR" worker-build --version "=$WORKER_BUILD_VERSION"
fi
if ! has_version "$TOOLS_DIR/bin/wasm-bindgen" "$WASM_BINDGEN_VERSION"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION → $TOOLS_DIR (a few minutes, once)"
  # Not --locked: its lockfile pins a webpki-roots version the registry may lack.
  cargo install --quiet --root "$TOOLS_DIR" wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi
grep -Eq "^wasm-bindgen = (\{ version = )?\"=$WASM_BINDGEN_VERSION\"" Cargo.toml ||
  die "Cargo.toml must pin wasm-bindgen = \"=$WASM_BINDGEN_VERSION\" (same as the CLI)"

# 3. wrangler, esbuild, wasm-opt and Node 24 from the npm registry, as package-lock.json pins.
lock_sum=$(sha256sum package-lock.json package.json | sha256sum | cut -c1-16)
node_missing=false
if [ "$(uname -sm)" = "Linux x86_64" ] && [ ! -x node_modules/.bin/node ]; then node_missing=true; fi
if [ ! -x node_modules/.bin/wrangler ] || $node_missing || [ "$(cat node_modules/.edge-api-lock 2>/dev/null)" != "$lock_sum" ]; then
  # npm ci installs exactly the committed lockfile and never rewrites it.
  log "npm ci (wrangler, esbuild, binaryen, node)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" > node_modules/.edge-api-lock
fi
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' ||
  die "wrangler needs Node >= 22.12; node_modules/.bin/node is $(node --version 2>/dev/null)"

# 6. Local secrets: .dev.vars from the example, and any setting the example gained since
#    added to an existing .dev.vars (values already there are kept).
if [ ! -f .dev.vars ]; then
  cp .dev.vars.example .dev.vars
  log "created .dev.vars from .dev.vars.example"
else
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue;; esac
    key=${line%%=*}
    if ! grep -q "^$key=" .dev.vars; then
      printf '%s\n' "$line" >> .dev.vars
      log "added $key to .dev.vars (from .dev.vars.example)"
    fi
  done < .dev.vars.example
fi

# `npm ci` in a folder with its own lockfile, again only when that lockfile changed.
npm_ci_in() {
  local dir=$1 sum
  sum=$(sha256sum "$dir/package-lock.json" | cut -c1-16)
  if [ "$(cat "$dir/node_modules/.edge-api-lock" 2>/dev/null)" != "$sum" ]; then
    log "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$sum" > "$dir/node_modules/.edge-api-lock"
  fi
}

# Tests only: an independent OpenAPI 3.1 validator and JSON Schema checker (PyPI, in a
# local venv), the official MCP clients (npm, in tests/mcp), the typed client's
# generator and type checker (npm, in clients/typescript), and a headless browser for
# /docs (Debian's chromium, driven by playwright-core in tests/browser).
if [ "$part" = test ]; then
OAS_VALIDATOR=openapi-spec-validator==0.9.0
PYNACL=pynacl==1.5.0  # runs docs/sign_in_with_sui.py in the tests
SCHEMATHESIS=schemathesis==4.32.5  # make fuzz
if ! "$LOCAL_DIR/venv/bin/python" -c 'import openapi_spec_validator, jsonschema, nacl' 2>/dev/null ||
   [ "$("$LOCAL_DIR/venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "${SCHEMATHESIS#*==}" ]; then
  log "installing $OAS_VALIDATOR, $PYNACL and $SCHEMATHESIS into .tools/venv"
  [ -x "$LOCAL_DIR/venv/bin/python" ] || python3 -m venv "$LOCAL_DIR/venv"
  "$LOCAL_DIR/venv/bin/pip" install --quiet --disable-pip-version-check "$OAS_VALIDATOR" "$PYNACL" "$SCHEMATHESIS"
fi

npm_ci_in tests/mcp
npm_ci_in clients/typescript
npm_ci_in tests/browser
# /docs is tried in Debian's headless Chromium (playwright-core drives it; it never
# downloads a browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  log "installing chromium (Debian's, for the /docs browser test)"
  apt_install chromium || die "could not install chromium (apt-get install chromium)"
fi
fi

# Seed and bench: the Ed25519 signer `make seed` and the round-trip table sign in with (PyPI, in the local venv).
if { [ "$part" = seed ] || [ "$part" = bench ]; } && ! "$LOCAL_DIR/venv/bin/python" -c 'import nacl' 2>/dev/null; then
  log "installing pynacl into .tools/venv"
  [ -x "$LOCAL_DIR/venv/bin/python" ] || python3 -m venv "$LOCAL_DIR/venv"
  "$LOCAL_DIR/venv/bin/pip" install --quiet --disable-pip-version-check pynacl==1.5.0
fi

# Bench only: a load tool (Debian's wrk), the Hono baseline (npm, in bench/peer) and a
# size profiler for the wasm (twiggy, from crates.io, cached with the other cargo tools).
if [ "$part" = bench ]; then
  if ! command -v wrk >/dev/null; then
    log "installing wrk (load tool for make bench)"
    apt_install wrk || echo "warning: could not install wrk; make bench will not run" >&2
  fi
  npm_ci_in bench/peer
  if [ ! -x "$TOOLS_DIR/bin/twiggy" ]; then
    log "cargo install twiggy $TWIGGY_VERSION (once; cached in $TOOLS_DIR)"
    cargo install --quiet --locked --root "$TOOLS_DIR" twiggy --version "$TWIGGY_VERSION" \
      || echo "warning: could not install twiggy; make bench will not list the largest functions" >&2
  fi
fi
if [ "$part" = client ]; then
  npm_ci_in clients/typescript
fi

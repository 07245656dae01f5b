# edge-api — the two commands: `make dev` and `make test` (README).
SHELL := /bin/bash
.DEFAULT_GOAL := help
WASM_TOOLCHAIN ?= auto
export WASM_TOOLCHAIN

.PHONY: help setup setup-test setup-bench seed reset client client-check example inspector build dev test unit e2e fuzz lint schema-check deploy-check deploy check-fallback bench clean

# The MCP Inspector `make inspector` runs (pinned: its CLI and flags change between versions).
INSPECTOR := @modelcontextprotocol/inspector@2.12.0

help:
	@echo "make dev     set up, build, migrate local D1, serve on http://127.0.0.1:$${PORT:-8787}"
	@echo "make test    set up, fmt + clippy, unit tests, end-to-end tests and the fuzz run on wrangler dev"
	@echo "make bench   bundle size and load figures on local workerd, against a Hono peer"
	@echo "make fuzz    schemathesis (every check) against wrangler dev"
	@echo "make seed    a demo account across the products, on the running make dev"
	@echo "make client  regenerate the typed TypeScript client in clients/typescript"
	@echo "make example run clients/typescript/example.ts against the running make dev (URL=…)"
	@echo "make inspector ARGS='…'  the MCP Inspector ($(INSPECTOR)) with the project's Node"
	@echo "make reset   wipe make dev's local state (asks first)"
	@echo "make deploy  upload to Cloudflare with wrangler.toml's [env.production] (refuses while it is not ready)"
	@echo "make deploy-check  what the production upload would be, against the 1,024 KiB gzip budget"
	@echo "make setup   install what building and running need (WASM_TOOLCHAIN=auto|rustup|debian);"
	@echo "             make test and make bench add their own tools"

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh test

setup-bench:
	@bash scripts/setup.sh bench

build: setup
	@bash scripts/build.sh

dev: setup
	@bash scripts/dev.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets --quiet -- -D warnings

unit: setup
	cargo test --quiet --lib

schema-check: setup
	python3 scripts/schema_check.py

e2e: setup-test build
	cargo test --quiet --test e2e

# The typed TypeScript client: regenerate it from the API's OpenAPI document…
client: setup-test
	cargo run --quiet --example openapi > clients/typescript/openapi.json
	cd clients/typescript && ./node_modules/.bin/openapi-typescript openapi.json --default-non-nullable false -o src/schema.ts

# …and check that the committed one matches the API and type-checks.
# The typed client's example, with the project's own Node (24: it runs .ts files) and the
# client's packages installed first.
example:
	@bash scripts/setup.sh client
	@PATH="$(CURDIR)/node_modules/.bin:$$PATH" node clients/typescript/example.ts "$${URL:-http://127.0.0.1:$${PORT:-8787}}"

# The MCP Inspector with the project's Node: without ARGS its web UI; with ARGS its CLI,
# e.g. make inspector ARGS='--cli --server-url http://127.0.0.1:8787/mcp --transport http --header "X-API-Key: ek_live_…" --method tools/list'
inspector:
	@bash scripts/setup.sh
	@PATH="$(CURDIR)/node_modules/.bin:$$PATH" npx -y $(INSPECTOR) $(ARGS)

client-check: setup-test
	@cargo run --quiet --example openapi | cmp -s - clients/typescript/openapi.json || \
	  { echo "clients/typescript is out of date with the API: run make client" >&2; exit 1; }
	cd clients/typescript && ./node_modules/.bin/tsc -p .

# CI (CI=true) also proves the Debian rustc-web fallback still builds the worker.
# schemathesis, every check, against wrangler dev (scripts/fuzz.sh); zero failures.
fuzz: setup-test build
	@bash scripts/fuzz.sh

test: lint unit schema-check client-check deploy-check e2e fuzz
	@if [ "$${CI:-}" = true ] || [ "$${CHECK_FALLBACK:-}" = 1 ]; then $(MAKE) --no-print-directory check-fallback; fi

deploy-check: setup build
	@bash scripts/deploy.sh check

deploy: setup build
	@bash scripts/deploy.sh

check-fallback:
	@bash scripts/check_fallback.sh

bench: setup-bench build
	@bash scripts/bench.sh

# Against the running `make dev` (same PORT): a demo account across the products.
seed:
	@bash scripts/setup.sh seed
	@.tools/venv/bin/python scripts/seed.py

# Wipes the local state of `make dev` after asking (stop make dev first).
reset:
	@bash scripts/reset.sh

clean:
	rm -rf build target/wasm target/wasm-debian .tools

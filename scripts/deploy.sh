#!/usr/bin/env bash
# The production upload (wrangler.toml's [env.production]).
#   bash scripts/deploy.sh check   what wrangler would upload (--dry-run): fails over the
#                                  bundle budget, 1,024 KiB of gzip as wrangler measures it
#   bash scripts/deploy.sh         refuses while [env.production] still has a "set-me"
#                                  value or a development one, or a secret is missing
#                                  (naming each), then the check, then wrangler deploy
source "$(dirname "$0")/common.sh"
BUDGET_KIB=1024

check() {
  local out gz
  out=$(wrangler deploy --dry-run --env production --outdir "${TMPDIR:-/tmp}/edge-api-deploy-check" 2>&1) ||
    die "wrangler deploy --dry-run --env production failed: $out"
  gz=$(grep -o 'gzip: [0-9.]* KiB' <<<"$out" | grep -o '[0-9.]*' | head -1)
  [ -n "$gz" ] || die "wrangler deploy --dry-run printed no size: $out"
  if awk -v s="$gz" -v b="$BUDGET_KIB" 'BEGIN { exit !(s > b) }'; then
    die "the production upload is $gz KiB of gzip, over the $BUDGET_KIB KiB budget"
  fi
  echo "production upload: $gz KiB gzip (budget $BUDGET_KIB KiB)"
}

if [ "${1:-deploy}" = check ]; then
  check
  exit 0
fi

# Settings: every "set-me" left, and every development value, named.
problems=$(python3 - <<'PY'
import tomllib
cfg = tomllib.load(open("wrangler.toml", "rb"))
prod = cfg.get("env", {}).get("production")
if prod is None:
    print("wrangler.toml has no [env.production]")
    raise SystemExit
def walk(value, where):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{where}.{k}" if where else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{where}[{i}]")
    else:
        yield where, value
for where, value in walk(prod, "env.production"):
    if isinstance(value, str) and value.startswith("set-me"):
        print(f"{where} still says {value!r}")
v = prod.get("vars", {})
if v.get("ENVIRONMENT") != "production":
    print(f"env.production.vars.ENVIRONMENT is {v.get('ENVIRONMENT')!r}, not 'production'")
for name, bad in [("ESCROW_MODE", "mock"), ("MOCK_AUTH", "true"), ("MOCK_ESCROW", "true"), ("EMAIL_BACKEND", "outbox")]:
    if str(v.get(name, "")).lower() == bad:
        print(f"env.production.vars.{name} is {bad!r}, a development backend")
PY
)
if [ -n "$problems" ]; then
  printf 'not deploying: wrangler.toml [env.production] is not ready:\n%s\n' "$problems" >&2
  exit 1
fi

# Secrets the worker refuses to run without in production.
listed=$(wrangler secret list --env production 2>&1) || die "wrangler secret list --env production failed (run npx wrangler login first): $listed"
missing=()
for s in JWT_SECRET GATEWAY_TOKEN VAULT_KEY EMAIL_API_KEY; do
  grep -q "\"$s\"" <<<"$listed" || missing+=("$s")
done
if [ ${#missing[@]} -gt 0 ]; then
  die "not deploying: set these secrets first (npx wrangler secret put NAME --env production): ${missing[*]}"
fi

check
log "applying migrations to the production D1"
wrangler d1 migrations apply DB --remote --env production
log "deploying"
wrangler deploy --env production

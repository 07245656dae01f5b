#!/usr/bin/env bash
# `make fuzz`: schemathesis (pinned, in the test venv) runs every check against a wrangler
# dev started here with fresh state, as a signed-in user's API key; bounded in examples
# and time. Fails on any failure it reports.
source "$(dirname "$0")/common.sh"
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-10}
st="$LOCAL_DIR/venv/bin/schemathesis"
[ -x "$st" ] || die "schemathesis missing: run make setup-test"

state=$(mktemp -d "${TMPDIR:-/tmp}/edge-api-fuzz.XXXXXX")
pgid=""
cleanup() { [ -n "$pgid" ] && stop_group "$pgid"; rm -rf "$state"; }
trap cleanup EXIT INT TERM
wrangler d1 migrations apply DB --local --persist-to "$state/d1" >/dev/null
port=$(free_port)
# Rate limits are lifted: the fuzzer signs up and logs in far more often than a person.
setsid wrangler dev --ip 127.0.0.1 --port "$port" --persist-to "$state/d1" --env-file tests/e2e.env \
  --var LOG_REQUESTS:false --var AUTH_RATE_LIMIT_ACCOUNT:1000000 --var AUTH_RATE_LIMIT_ACCOUNT_TOTAL:1000000 \
  --var AUTH_RATE_LIMIT_IP:1000000 --show-interactive-dev-session=false --log-level warn \
  >"$state/wrangler.log" 2>&1 </dev/null &
pgid=$!
base="http://127.0.0.1:$port"
wait_healthy "$base" "$state/wrangler.log" "$pgid"

token=$(curl -fsS -X POST "$base/api/auth/signup" -H 'Content-Type: application/json' \
  -d "{\"email\":\"fuzz-$$@example.test\",\"password\":\"fuzz password 1\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
EDGE_API_KEY=$(curl -fsS -X POST "$base/api/auth/api-keys" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"name":"fuzz"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
export EDGE_API_KEY

log "schemathesis $("$st" --version | awk '{print $NF}') --checks all, $MAX_EXAMPLES examples per operation"
"$st" --config-file tests/fuzz/schemathesis.toml run "$base/openapi.json" --url "$base" \
  --checks all --max-examples "$MAX_EXAMPLES" --phases examples,coverage,fuzzing,stateful \
  --workers 2 --seed "${FUZZ_SEED:-1}" --request-timeout 15 --no-color \
  --report junit --report-junit-path "$ROOT/target/fuzz-junit.xml"

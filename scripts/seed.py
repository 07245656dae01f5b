"""`make seed`: fills the running `make dev` with a demo account across the products, through
the API, and prints how to use it. The account signs in with a Sui key (so it is also a
Suiftly customer); its key seed and an API key are printed."""
import datetime, json, os, sys, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "docs"))
from nacl.signing import SigningKey  # noqa: E402
from sign_in_with_sui import sign_in  # noqa: E402

B = os.environ.get("B", f"http://127.0.0.1:{os.environ.get('PORT', '8787')}")
GATEWAY = os.environ.get("GATEWAY_TOKEN") or next(
    (l.split("=", 1)[1].strip() for l in open(".dev.vars") if l.startswith("GATEWAY_TOKEN=")), "")


def call(method, path, body=None, headers=None):
    req = urllib.request.Request(B + path, None if body is None else json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read()
            try:
                return json.loads(text) if text else None
            except ValueError:
                return text.decode()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read().decode()[:300]}")


try:
    urllib.request.urlopen(B + "/health")
except OSError:
    sys.exit(f"no edge-api on {B}: start `make dev` first")

key = SigningKey.generate()
address, tokens = sign_in(B, key)
auth = {"Authorization": "Bearer " + tokens["access_token"]}
api = lambda m, p, b=None: call(m, p, b, auth)  # noqa: E731
today = datetime.date.today()
day = lambda n: (today - datetime.timedelta(days=n)).isoformat()  # noqa: E731

# Personal OS: tasks with a dependency, some done (points), a habit on a streak, a goal
# linked to them, a metric with a month of logs.
goal = api("POST", "/api/os/goals", {"title": "Run a half marathon", "start_date": day(30), "target_date": (today + datetime.timedelta(days=60)).isoformat(),
                                     "success_criteria": [{"text": "Sign up for a race", "met": True}, {"text": "Run 15 km in one go"}]})
shoes = api("POST", "/api/os/tasks", {"title": "Buy running shoes", "priority": "high", "goal_id": goal["id"], "area": "health"})
plan = api("POST", "/api/os/tasks", {"title": "Write a 10-week training plan", "effort": 3, "goal_id": goal["id"], "depends_on": [shoes["id"]]})
api("POST", "/api/os/tasks", {"title": "Book a physio check", "due_date": (today + datetime.timedelta(days=5)).isoformat(), "area": "health"})
api("POST", f"/api/os/tasks/{shoes['id']}/complete", {})
habit = api("POST", "/api/os/habits", {"name": "Run 5k", "schedule": {"type": "daily"}})
for n in range(6, -1, -1):
    api("POST", f"/api/os/habits/{habit['id']}/logs", {"date": day(n)})
metric = api("POST", "/api/os/metrics", {"name": "Weekly km", "unit": "km", "target": 40, "direction": "higher"})
for n in range(29, -1, -1):
    api("POST", f"/api/os/metrics/{metric['id']}/logs", {"date": day(n), "value": round(12 + (29 - n) * 0.8 + (n % 3), 1)})
api("POST", f"/api/os/goals/{goal['id']}/habits/{habit['id']}", {})
api("POST", f"/api/os/goals/{goal['id']}/metrics/{metric['id']}", {})

# Phantom: a persona and a cycle of noise events.
api("PATCH", "/api/phantom/settings", {"active_hours": [0, 24]})
api("POST", "/api/phantom/personas", {"name": "Camille Martin", "age": 34, "occupation": "teacher",
                                      "location": "Lyon, Auvergne-Rhône-Alpes, FR", "interests": ["cinema", "cycling", "cooking"]})
events = api("POST", "/api/phantom/scheduler/run-now", {})

# Money and Assistant.
api("POST", "/api/money/onboarding/complete", {})
api("POST", "/api/assistant/chat", {"message": "what's pending?"})

# Suiftly: a funded customer with seal on, a key, and a month of usage, metered and billed.
customer = api("GET", "/api/suiftly/customer")
api("POST", "/api/suiftly/escrow/deposit", {"amount_usd_cents": 50_000, "tx_digest": "0xseed" + address[2:18]})
api("POST", "/api/suiftly/services/seal/enable", {})
service_key = api("POST", "/api/suiftly/services/seal/keys", {})
now_ms = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
logs = [{"timestamp": now_ms - (30 - d) * 86_400_000 + h * 3_600_000, "customer_id": customer["customer_id"], "service_type": "seal",
         "method": "POST", "status_code": 200, "bytes_out": 2_000} for d in range(30) for h in range(0, 24, 3) for _ in range(4)]
for i in range(0, len(logs), 1000):
    call("POST", "/api/suiftly/usage/logs", {"logs": logs[i:i + 1000]}, {"X-Gateway-Token": GATEWAY})
call("GET", "/__scheduled?cron=*/5+*+*+*+*")

api_key = api("POST", "/api/auth/api-keys", {"name": "seed"})["key"]
print(f"""
Seeded a demo account on {B}
  wallet address   {address}
  wallet key seed  {bytes(key).hex()}   (sign in again: SigningKey(bytes.fromhex(seed)) with docs/sign_in_with_sui.py)
  API key          {api_key}
  access token     {tokens['access_token']}   (15 minutes)
  suiftly key      {service_key.get('key', '')}

Try:
  curl -s {B}/api/os/tasks -H "X-API-Key: {api_key}"
  curl -s {B}/api/os/goals/{goal['id']}/progress -H "X-API-Key: {api_key}"
  curl -s {B}/api/suiftly/billing -H "X-API-Key: {api_key}"
Phantom made {sum(events['created'].values())} noise events; Money has 3 demo cards; {len(logs)} Suiftly requests were metered.
""")

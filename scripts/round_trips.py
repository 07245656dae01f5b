"""The D1 round trips of every route (`make bench`; docs/development.md "Round trips"):
one request each, as a user who has one of everything, read from the `Server-Timing`
answer header. Prints a table and exits 1 when a route is over its budget — a read at most
1 sequential D1 round trip, a write at most 2 — unless it is one of the exceptions below,
each justified in docs/development.md.

    python3 scripts/round_trips.py http://127.0.0.1:8787 [GATEWAY_TOKEN]
"""
import datetime, json, os, re, sys, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "docs"))
from nacl.signing import SigningKey  # noqa: E402
from sign_in_with_sui import sign_in  # noqa: E402

B = sys.argv[1].rstrip("/")
GATEWAY = sys.argv[2] if len(sys.argv) > 2 else ""

# Routes allowed more round trips than their kind's budget, with the reason (the
# docs say more): the route's work is several steps that each need the one before.
EXCEPTIONS = {
    # A chat turn reads the conversation (and the user's zone), runs the tools the message
    # asks for — each tool's effect is written when it runs, as the route of that tool
    # would — and then stores the turn; with a model configured, model calls come between.
    ("POST", "/api/assistant/chat"): (4, "chat turn: read, tools, store"),
    # A Money chat turn reads the chat, then the context its intent needs (group members,
    # transactions, accounts, settings), then stores the turn; a model call may come
    # between.
    ("POST", "/api/money/chats/{id}/messages"): (4, "chat turn: read, context by intent, store"),
    # Wallet sign-in: the pending challenges are read (the signature is checked against
    # them), the one signed is used up (single use comes before anything is granted),
    # then the user (made at its first sign-in), what products do on a sign-in (Suiftly
    # makes the user its customer) and the session are written in one batch.
    ("POST", "/api/auth/wallet/verify"): (3, "wallet sign-in: read, use the challenge, sign in"),
}


def call(method, path, body=None, headers=None, token=None):
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = "Bearer " + token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(B + path, data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def ok(method, path, body=None, token=None, headers=None):
    status, _, text = call(method, path, body, headers, token)
    if status >= 300:
        sys.exit(f"set-up: {method} {path}: {status} {text[:300]!r}")
    return json.loads(text) if text else None


def timing(headers):
    """(D1 round trips, KV reads) of an answer's Server-Timing."""
    value = headers.get("Server-Timing") or ""
    d1 = re.search(r'd1;desc="(\d+)"', value)
    kv = re.search(r'kv;desc="(\d+)"', value)
    return (int(d1.group(1)) if d1 else None, int(kv.group(1)) if kv else None)


today = datetime.date.today()
day = lambda n: (today - datetime.timedelta(days=n)).isoformat()  # noqa: E731

# A wallet user (also a Suiftly customer) with one of everything.
_, tokens = sign_in(B, SigningKey.generate())
t = tokens["access_token"]
api = lambda m, p, b=None: ok(m, p, b, t)  # noqa: E731
ids = {}
ids["goal"] = api("POST", "/api/os/goals", {"title": "Half marathon", "start_date": day(10), "target_date": day(-60)})["id"]
ids["task"] = api("POST", "/api/os/tasks", {"title": "Buy shoes", "goal_id": ids["goal"]})["id"]
ids["task2"] = api("POST", "/api/os/tasks", {"title": "Plan training"})["id"]
ids["habit"] = api("POST", "/api/os/habits", {"name": "Run"})["id"]
api("POST", f"/api/os/habits/{ids['habit']}/logs", {"date": day(1)})
ids["metric"] = api("POST", "/api/os/metrics", {"name": "Km", "target": 40})["id"]
for n in (3, 2, 1):
    api("POST", f"/api/os/metrics/{ids['metric']}/logs", {"date": day(n), "value": 10 + n})
ids["metric2"] = api("POST", "/api/os/metrics", {"name": "Sleep"})["id"]
ids["project"] = api("POST", "/api/os/projects", {"name": "Website"})["id"]
ids["entry"] = api("POST", "/api/os/logbook", {"content": "Need to call the bank. Good run."})["id"]
ids["reward"] = api("POST", "/api/os/rewards", {"name": "Coffee", "cost": 1})["id"]
course = api("POST", "/api/os/courses", {"title": "Rust", "modules": [{"title": "Ownership"}]})
ids["course"] = course["id"]
ids["module"] = course["modules"][0]["id"]
ids["card"] = api("POST", "/api/os/flashcards", {"front": "borrow", "back": "reference"})["id"]
ids["skill"] = api("POST", "/api/os/skills", {"name": "Cooking"})["id"]
ids["skill2"] = api("POST", "/api/os/skills", {"name": "Baking"})["id"]
ids["persona"] = api("POST", "/api/phantom/personas", {"name": "Ann Lee", "age": 30, "occupation": "nurse",
                                                       "location": "Austin, Texas, US", "interests": ["coffee"]})["id"]
ids["plan"] = api("POST", "/api/phantom/plans/generate", {"persona_id": ids["persona"]})["id"]
ids["conversation"] = api("POST", "/api/assistant/chat", {"message": "add buy milk"})["conversation_id"]
api("POST", "/api/money/onboarding/complete", {})
ids["account"] = api("GET", "/api/money/accounts")["items"][0]["id"]
ids["chat"] = api("POST", "/api/money/chats", {})["id"]
ids["group"] = api("POST", "/api/money/groups", {"name": "Flat"})["id"]
api("POST", "/api/suiftly/escrow/deposit", {"amount_usd_cents": 10_000, "tx_digest": "0xbench" + str(os.getpid())})
api("POST", "/api/suiftly/services/seal/enable", {})
ids["service_key"] = api("POST", "/api/suiftly/services/seal/keys", {})["id"]
ids["api_key"] = api("POST", "/api/auth/api-keys", {"name": "trips"})["id"]

# The id a path parameter names, by the collection it follows.
BY_COLLECTION = {
    "tasks": "task", "goals": "goal", "habits": "habit", "metrics": "metric", "projects": "project",
    "logbook": "entry", "rewards": "reward", "courses": "course", "flashcards": "card", "skills": "skill",
    "personas": "persona", "plans": "plan", "conversations": "conversation", "accounts": "account",
    "chats": "chat", "groups": "group", "keys": "service_key", "api-keys": "api_key",
}


def fill(path):
    parts = path.strip("/").split("/")
    out = []
    for i, p in enumerate(parts):
        if not p.startswith("{"):
            out.append(p)
            continue
        before = parts[i - 1] if i else ""
        name = p[1:-1]
        if name == "id":
            out.append(ids[BY_COLLECTION[before]])
        elif name == "item_id":
            out.append(ids[{"habits": "habit", "metrics": "metric2", "tasks": "task2"}[before]])
        elif name == "dep_id":
            out.append(ids["task2"])
        elif name == "req_id":
            out.append(ids["skill2"])
        elif name == "module_id":
            out.append(ids["module"])
        elif name == "date":
            out.append(day(1))
        elif name == "type":
            out.append("seal")
        elif name == "event_type":
            out.append("search")
        else:
            sys.exit(f"no value for {{{name}}} in {path}")
    return "/" + "/".join(out)


FIELDS = {"task_id": "task", "goal_id": "goal", "metric_id": "metric", "habit_id": "habit", "project_id": "project",
          "entry_id": "entry", "persona_id": "persona", "other_metric_id": "metric2"}


def body_for(op):
    media = (op.get("requestBody") or {}).get("content", {}).get("application/json")
    if not media:
        return None
    body = json.loads(json.dumps(media.get("example", {})))
    if isinstance(body, dict):
        for k, v in FIELDS.items():
            if k in body:
                body[k] = ids[v]
        if "depends_on" in body:
            body["depends_on"] = [ids["task2"]]
    return body


doc = json.loads(call("GET", "/openapi.json")[2])
# Routes measured below with their own set-up (they need a token mailed, a session to end,
# a signature), and one left out: Knot's webhook, signed with Knot's secret, which this
# run does not have.
SKIP = {
    ("post", "/api/auth/logout"), ("delete", "/api/auth/api-keys/{id}"), ("post", "/mcp"),
    ("post", "/api/money/webhooks/knot"), ("post", "/api/auth/wallet/verify"), ("post", "/api/auth/refresh"),
    ("post", "/api/auth/email/verify"), ("post", "/api/auth/password/reset"), ("post", "/api/auth/login"),
    ("post", "/api/auth/email/verification"),
}
order = {"get": 0, "head": 0, "post": 1, "put": 1, "patch": 1, "delete": 2}
# Deletes of what hangs off a resource come before the resource's own.
ops = sorted(((m, p, op) for p, item in doc["paths"].items() for m, op in item.items()),
             key=lambda x: (order.get(x[0], 1), -x[1].count("/") if x[0] == "delete" else 0, x[1]))
rows, over = [], []


def measured(method, path, status, headers):
    d1, kv = timing(headers)
    kind = "read" if method in ("GET", "HEAD") else "write"
    budget = EXCEPTIONS.get((method, path), (None, None))[0] or (1 if kind == "read" else 2)
    flag = ""
    if 200 <= status < 300 and d1 is not None:
        if d1 > budget:
            flag = "OVER"
            over.append(f"{method} {path}: {d1} > {budget}")
    else:
        flag = "not measured"
    rows.append((method, path, status, d1, kv, budget, flag))


def mailed(email, page):
    import time
    for _ in range(50):
        _, _, text = call("GET", f"/__dev/outbox?to={email}")
        for m in json.loads(text).get("items", []):
            if f"/{page}?token=" in m["text"]:
                return m["text"].split(f"/{page}?token=")[1].split()[0]
        time.sleep(0.1)
    sys.exit(f"no {page} mail to {email}")


# The routes with their own set-up.
email = f"trips-auth{os.getpid()}@example.test"
signed = ok("POST", "/api/auth/signup", {"email": email, "password": "correct horse battery"})
status, h, _ = call("POST", "/api/auth/email/verification", None, None, signed["access_token"])
measured("POST", "/api/auth/email/verification", status, h)
status, h, _ = call("POST", "/api/auth/email/verify", {"token": mailed(email, "verify-email")})
measured("POST", "/api/auth/email/verify", status, h)
status, h, _ = call("POST", "/api/auth/refresh", {"refresh_token": signed["refresh_token"]})
measured("POST", "/api/auth/refresh", status, h)
ok("POST", "/api/auth/password/forgot", {"email": email})
status, h, _ = call("POST", "/api/auth/password/reset", {"token": mailed(email, "reset-password"), "password": "a new pass phrase"})
measured("POST", "/api/auth/password/reset", status, h)
status, h, text = call("POST", "/api/auth/login", {"email": email, "password": "a new pass phrase"})
measured("POST", "/api/auth/login", status, h)
again = json.loads(text)
status, h, _ = call("POST", "/api/auth/logout", None, None, again["access_token"])
measured("POST", "/api/auth/logout", status, h)
key = SigningKey.generate()
import base64, hashlib  # noqa: E402
pub = bytes(key.verify_key)
address = "0x" + hashlib.blake2b(b"\x00" + pub, digest_size=32).hexdigest()
message = ok("POST", "/api/auth/wallet/challenge", {"address": address})["message"].encode()
n, length = len(message), b""
while True:
    length += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)]); n >>= 7  # noqa: E702
    if not n:
        break
digest = hashlib.blake2b(bytes([3, 0, 0]) + length + message, digest_size=32).digest()
signature = base64.b64encode(b"\x00" + key.sign(digest).signature + pub).decode()
status, h, _ = call("POST", "/api/auth/wallet/verify", {"address": address, "signature": signature})
measured("POST", "/api/auth/wallet/verify", status, h)
api_key = ok("POST", "/api/auth/api-keys", {"name": "mcp"}, t)["key"]
frame = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_tasks", "arguments": {},
         "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}}
status, h, _ = call("POST", "/mcp", frame, {"X-API-Key": api_key, "Accept": "application/json, text/event-stream",
                                            "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "list_tasks"})
measured("POST", "/mcp", status, h)
status, h, _ = call("DELETE", f"/api/auth/api-keys/{ids['api_key']}", None, None, t)
measured("DELETE", "/api/auth/api-keys/{id}", status, h)

for method, path, op in ops:
    if (method, path) in SKIP:
        continue
    headers = {}
    if "gatewayToken" in json.dumps(op.get("security", [])):
        headers["X-Gateway-Token"] = GATEWAY
    if path == "/api/auth/signup":
        body = {"email": f"trips{os.getpid()}{len(rows)}@example.test", "password": "correct horse battery"}
    else:
        body = body_for(op)
    if path == "/api/suiftly/usage/logs":
        now = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
        cid = api("GET", "/api/suiftly/customer")["customer_id"]
        body = {"logs": [{"timestamp": now, "customer_id": cid, "service_type": "seal", "method": "POST",
                          "status_code": 200, "bytes_out": 10}]}
    if path == "/api/suiftly/escrow/deposit":
        body = {"amount_usd_cents": 100, "tx_digest": f"0xtrips{os.getpid()}"}
    target = fill(path)
    # Required query parameters take their documented example.
    query = []
    for prm in op.get("parameters", []):
        if prm.get("in") == "query" and prm.get("required"):
            schema = prm.get("schema", {})
            value = prm.get("example", (schema.get("examples") or [schema.get("example")])[0])
            query.append(f"{prm['name']}={','.join(value) if isinstance(value, list) else value}")
    if query:
        target += "?" + "&".join(query)
    if path == "/api/os/tasks/{id}/complete":
        target = f"/api/os/tasks/{ids['task2']}/complete"  # `task` waits for it
    if path == "/api/os/import":
        body = {"version": 1, "tasks": [{"id": "imported-1", "title": "Imported task"}]}
    status, h, text = call(method.upper(), target, body, headers, t)
    measured(method.upper(), path, status, h)

width = max(len(r[1]) for r in rows) + 8
print(f"\n{'route':<{width}} status  d1 round trips  kv reads  budget")
for m, p, status, d1, kv, budget, flag in sorted(rows, key=lambda r: (r[1], r[0])):
    print(f"{m + ' ' + p:<{width}} {status:<7} {str(d1):<15} {str(kv):<9} {budget:<6} {flag}")
print(f"\n{len(rows)} routes; {sum(1 for r in rows if r[6] == '')} within budget, "
      f"{len(over)} over, {sum(1 for r in rows if r[6] == 'not measured')} not measured (non-2xx)")
if over:
    print("over budget:\n  " + "\n  ".join(over))
    sys.exit(1)

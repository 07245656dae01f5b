#!/usr/bin/env python3
"""Times streamed Assistant turns (Accept: text/event-stream) one after another: from
sending the request to the first event, to the first delta, and to the `done` event.
Prints the medians and p90s in milliseconds.
Usage: stream_timing.py BASE_URL ACCESS_TOKEN [TURNS]"""
import json
import socket
import statistics
import sys
import time
from urllib.parse import urlparse

base, token = sys.argv[1], sys.argv[2]
turns = int(sys.argv[3]) if len(sys.argv) > 3 else 50
url = urlparse(base)
body = json.dumps({"message": "what is pending?"}).encode()
request = (
    f"POST /api/assistant/chat HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
    f"Content-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: {len(body)}\r\n"
    "Connection: close\r\n\r\n"
).encode() + body
first, delta, done = [], [], []
for n in range(turns + 5):
    sock = socket.create_connection((url.hostname, url.port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.perf_counter()
    sock.sendall(request)
    at_first = at_delta = at_done = None
    seen = b""
    while at_done is None:
        chunk = sock.recv(65536)
        if not chunk:
            break
        now = time.perf_counter()
        seen += chunk
        if at_first is None and b"\nevent: " in seen:
            at_first = now
        if at_delta is None and b"event: delta" in seen:
            at_delta = now
        if b"event: done" in seen:
            at_done = now
    sock.close()
    if not seen.startswith(b"HTTP/1.1 200"):
        sys.exit(seen[:300])
    if at_done is None:
        sys.exit("a turn ended without `done`")
    if n >= 5:  # the first turns warm the isolate up
        first.append((at_first - start) * 1000)
        delta.append((at_delta - start) * 1000)
        done.append((at_done - start) * 1000)


def p90(xs):
    return sorted(xs)[max(0, int(len(xs) * 0.9) - 1)]


print(f"first event p50 {statistics.median(first):.2f} ms p90 {p90(first):.2f}; "
      f"first delta p50 {statistics.median(delta):.2f} ms; "
      f"done p50 {statistics.median(done):.2f} ms p90 {p90(done):.2f} ({turns} turns)")

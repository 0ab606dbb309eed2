#!/usr/bin/env python3
"""The abuse benchmark: each public limit of a running `lingong serve` under 300
concurrent requests, and the health check's latency under a staff-login flood.

Every request goes to 127.0.0.1 only; each limit is probed from its own loopback source
address (127.0.0.N), so one probe's counts do not spill into another's. Prints a
Markdown table (README, "Abuse limits").

Usage: bench_abuse.py BASE_URL ADMIN_USER ADMIN_PASSWORD
"""

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

CONCURRENT = 300


def request(base, source, method, path, body=None, headers=None):
    """One request from loopback address `source`; returns (status, seconds)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120, source_address=(source, 0))
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        status = conn.getresponse().status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, time.perf_counter() - started


def burst(base, source, make):
    """CONCURRENT requests at once, `make(i)` giving (method, path, body, headers)."""
    statuses = [0] * CONCURRENT
    start = threading.Barrier(CONCURRENT)

    def run(i):
        method, path, body, headers = make(i)
        start.wait()
        statuses[i] = request(base, source, method, path, body, headers)[0]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def json_post(path, payload):
    return ("POST", path, json.dumps(payload).encode(), {"content-type": "application/json"})


def worker(i):
    return json_post("/api/workers", {
        "name": "压测工人", "phone": "1370%07d" % (100000 + i), "trades": ["cleaning"],
        "districts": ["chengzhong"], "channel": "sms", "consent": True,
    })


def job(i):
    return json_post("/api/jobs", {
        "title": "小区楼道保洁", "trade": "cleaning", "district": "chengzhong", "address": "城中区南关街某小区",
        "start_date": time.strftime("%Y-%m-%d", time.localtime(time.time() + 2 * 86400)),
        "end_date": time.strftime("%Y-%m-%d", time.localtime(time.time() + 2 * 86400)),
        "headcount": 1, "daily_wage_yuan": 220, "pay_terms": "daily", "employer_name": "城中区某物业公司",
        "contact_name": "王经理", "contact_phone": "1380%07d" % (100000 + i), "description": "打扫楼道和电梯间，工具由物业提供。",
    })


def main():
    base, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
    rows = []

    def probe(name, limit, source, make, ok):
        statuses = burst(base, source, make)
        passed = sum(1 for s in statuses if s in ok)
        limited = sum(1 for s in statuses if s == 429)
        rows.append((name, limit, passed, limited, CONCURRENT - passed - limited))

    probe("worker sign-up, one address, no proof of work", 10, "127.0.0.2", worker, (201, 202))
    probe("job posting, one address, no proof of work", 10, "127.0.0.3", job, (201, 202))
    probe("proof-of-work challenges, one address", 60, "127.0.0.4", lambda i: ("GET", "/api/challenge", None, {}), (200,))
    probe("one-time codes to one number", 1, "127.0.0.5",
          lambda i: json_post("/api/phone-codes", {"phone": "13912345678"}), (200, 202))

    # The login flood: wrong passwords for the administrator from one address, while the
    # health check is timed from another.
    form = "username=%s&password=wrong-%%d" % user
    latencies = []
    flooding = threading.Event()
    flooding.set()

    def health():
        while flooding.is_set():
            status, seconds = request(base, "127.0.0.9", "GET", "/api/health")
            if status == 200:
                latencies.append(seconds)

    timer = threading.Thread(target=health)
    quiet = [request(base, "127.0.0.9", "GET", "/api/health")[1] for _ in range(200)]
    timer.start()
    statuses = burst(base, "127.0.0.6", lambda i: (
        "POST", "/staff/login", (form % i).encode(), {"content-type": "application/x-www-form-urlencoded"}))
    flooding.clear()
    timer.join()
    checked = sum(1 for s in statuses if s not in (429, 0))
    rows.append(("staff login, wrong passwords, one address (password checks run)", 5, checked,
                 sum(1 for s in statuses if s == 429), sum(1 for s in statuses if s == 0)))
    # The owner still gets in from elsewhere.
    owner = request(base, "127.0.0.7", "POST", "/staff/login",
                    ("username=%s&password=%s" % (user, password)).encode(),
                    {"content-type": "application/x-www-form-urlencoded"})[0]

    def p(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    print("| probe (%d concurrent requests) | limit | got through | 429 | other |" % CONCURRENT)
    print("|---|---|---|---|---|")
    for name, limit, passed, limited, other in rows:
        print("| %s | %d | %d | %d | %d |" % (name, limit, passed, limited, other))
    print()
    print("| `/api/health` | requests | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    print("| quiet | %d | %.1f | %.1f |" % (len(quiet), p(quiet, 0.5), p(quiet, 0.99)))
    print("| during the login flood | %d | %.1f | %.1f |" % (len(latencies), p(latencies, 0.5), p(latencies, 0.99)))
    print()
    print("The administrator logging in from another address during the flood: HTTP %d." % owner)


if __name__ == "__main__":
    main()

"""API-call-to-RADIUS-Reject latency under a steady provisioning load.

A feeder flips customers of bench tenants other than the first two between active and disabled at --rate changes per
second (batches of a tenth of that every 100 ms, each batch the status change and its outbox rows in one
statement, sent through one long-lived psql). Meanwhile a prober signs in as bench-002's owner and, one
customer at a time: checks FreeRADIUS accepts it (radclient), disables it through the API, and polls
FreeRADIUS every 20 ms until it answers Access-Reject. Prints the achieved change rate and the latency
percentiles. Standard library only (psql and radclient do the talking).
"""
import argparse
import json
import subprocess
import threading
import time
import urllib.request


def psql_rows(port, query):
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "uplink", "-d", "uplink", "-XAtq", "-F", "\t", "-c", query],
        env={"PGPASSWORD": "uplink", "PATH": "/usr/bin:/bin"}, check=True, capture_output=True, text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def radius_accepts(port, secret, username, password):
    lines = f'User-Name = "{username}"\nUser-Password = "{password}"\nNAS-IP-Address = 127.0.0.1\n'
    out = subprocess.run(["radclient", "-r", "1", "-t", "2", f"127.0.0.1:{port}", "auth", secret],
                         input=lines, capture_output=True, text=True).stdout
    if "Access-Accept" in out:
        return True
    if "Access-Reject" in out:
        return False
    raise RuntimeError(f"no answer from FreeRADIUS: {out!r}")


def api(base, method, path, token=None, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body or {}).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def feeder(args, stop, counters):
    """Flips customers of bench-003 … at the requested rate through one psql session."""
    pool = []
    # Not bench-001 (the throughput run disabled its customers) nor bench-002 (the prober's).
    for (schema,) in psql_rows(args.pg_port, "SELECT schema_name FROM platform.tenants WHERE slug LIKE 'bench-%' "
                                             "AND slug NOT IN ('bench-001', 'bench-002') ORDER BY id LIMIT 20"):
        pool += [(schema, int(i)) for (i,) in psql_rows(
            args.pg_port, f"SELECT id FROM {schema}.customers WHERE status = 'active' AND deleted_at IS NULL ORDER BY id LIMIT 2000")]
    tenant_of = {schema: int(t) for schema, t in psql_rows(args.pg_port, "SELECT schema_name, id FROM platform.tenants")}
    per_batch = max(1, args.rate // 10)
    session = subprocess.Popen(
        ["psql", "-h", "127.0.0.1", "-p", str(args.pg_port), "-U", "uplink", "-d", "uplink", "-Xq"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={"PGPASSWORD": "uplink", "PATH": "/usr/bin:/bin"},
    )
    cursor = 0
    counters["started"] = next_tick = time.monotonic()
    while not stop.is_set():
        batch = [pool[(cursor + k) % len(pool)] for k in range(per_batch)]
        cursor += per_batch
        by_schema = {}
        for schema, cid in batch:
            by_schema.setdefault(schema, []).append(cid)
        statements = []
        for schema, ids in by_schema.items():
            id_list = ",".join(map(str, ids))
            statements.append(
                f"WITH d AS (UPDATE {schema}.customers SET status = CASE status WHEN 'active' THEN 'disabled' ELSE 'active' END "
                f"WHERE id IN ({id_list}) RETURNING id) "
                f"INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT {tenant_of[schema]}, id, 'status_changed' FROM d;")
        session.stdin.write("\n".join(statements) + "\n")
        session.stdin.flush()
        counters["changes"] += len(batch)
        next_tick += 0.1
        delay = next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    counters["stopped"] = time.monotonic()
    session.stdin.close()
    session.wait()


def prober(args, stop, latencies, skipped):
    token = api(args.base_url, "POST", "/api/v1/auth/login",
                body={"username": "bench-002-owner", "password": "bench-002-password"})["token"]
    candidates = psql_rows(args.pg_port, f"""
        SELECT id, username FROM {args.schema}.customers
        WHERE status = 'active' AND type = 'pppoe_monthly' AND package_id IS NOT NULL AND deleted_at IS NULL
        ORDER BY id DESC LIMIT 500""")
    password = "pass-b002-"
    for cid, username in candidates:
        if stop.is_set():
            return
        if not radius_accepts(args.radius_port, args.secret, username, password):
            skipped.append(username)
            continue
        started = time.monotonic()
        api(args.base_url, "POST", f"/api/v1/customers/{cid}/disable", token, {"reason": "bench"})
        while radius_accepts(args.radius_port, args.secret, username, password):
            if time.monotonic() - started > 30:
                raise RuntimeError(f"{username} still accepted 30 s after the API call")
            time.sleep(0.02)
        latencies.append(time.monotonic() - started)
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--pg-port", type=int, required=True)
    parser.add_argument("--radius-port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--schema", required=True, help="the prober's tenant schema (bench-002)")
    args = parser.parse_args()

    stop = threading.Event()
    counters = {"changes": 0, "started": 0.0, "stopped": 0.0}
    latencies, skipped = [], []
    feed = threading.Thread(target=feeder, args=(args, stop, counters))
    probe = threading.Thread(target=prober, args=(args, stop, latencies, skipped))
    feed.start()
    time.sleep(2)  # let the load settle before measuring
    probe.start()
    time.sleep(args.seconds)
    stop.set()
    probe.join()
    feed.join()
    elapsed = counters["stopped"] - counters["started"]
    backlog = psql_rows(args.pg_port, "SELECT (SELECT count(*) FROM platform.outbox), "
                                      "(SELECT count(*) FROM platform.provisioning_state WHERE state = 'pending')")[0]
    print(f"load: {counters['changes']} changes fed in {elapsed:.1f} s = {counters['changes'] / elapsed:,.0f}/s; "
          f"backlog at the end: {backlog[0]} outbox rows, {backlog[1]} customers pending")
    if not latencies:
        raise SystemExit("no latency samples")
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))] * 1000

    print(f"API disable → RADIUS Reject: {len(latencies)} samples ({len(skipped)} skipped, not accepted before); "
          f"p50 {pct(50):.0f} ms, p95 {pct(95):.0f} ms, p99 {pct(99):.0f} ms, max {latencies[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()

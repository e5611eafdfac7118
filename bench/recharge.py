#!/usr/bin/env python3
"""Single-client latency of prepaid recharges: POST /api/v1/customers/{id}/recharge
{"days": 1} with a fresh Idempotency-Key, sequentially over one keep-alive
connection, each for the next customer of a list, after a warm-up.

    recharge.py BASE_URL TOKEN REQUESTS IDS_FILE

Every response must be 201; anything else stops the run."""
import http.client
import sys
import time
import urllib.parse
import uuid


def percentile(sorted_values, fraction):
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def main():
    base, token, requests, ids_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(ids_file) as handle:
        ids = [line.strip() for line in handle if line.strip()]
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    samples = []
    warm = requests // 10
    for index in range(requests + warm):
        customer = ids[(len(ids) - 1 - index) % len(ids)]
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json",
                   "Idempotency-Key": str(uuid.uuid4())}
        started = time.perf_counter()
        connection.request("POST", f"/api/v1/customers/{customer}/recharge", body=b'{"days":1}', headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 201:
            sys.exit(f"recharge of {customer}: HTTP {response.status}: {body[:200]!r}")
        if index >= warm:
            samples.append(elapsed)
    samples.sort()
    print("| request | requests | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    print(f"| recharge 1 day (one client) | {len(samples)} | {percentile(samples, 0.50):.2f} | "
          f"{percentile(samples, 0.95):.2f} | {percentile(samples, 0.99):.2f} |")


if __name__ == "__main__":
    main()

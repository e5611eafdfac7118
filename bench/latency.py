#!/usr/bin/env python3
"""Single-client latency of GET requests: each path is requested sequentially over
one keep-alive connection, after a warm-up; prints one markdown row per path.

    latency.py BASE_URL TOKEN REQUESTS "label|path" ["label|path" ...]

Every response must be 200; anything else stops the run (a failing request is no
measurement). With LATENCY_COOKIE=1 the token goes as the panel's session cookie (HTML pages)."""
import http.client
import os
import sys
import time
import urllib.parse


def percentile(sorted_values, fraction):
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def main():
    base, token, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    headers = {"Authorization": "Bearer " + token}
    if os.environ.get("LATENCY_COOKIE") == "1":
        headers = {"Cookie": "uplink_session=" + token}
    print("| query | requests | p50 ms | p95 ms | p99 ms | total matches |")
    print("|---|---:|---:|---:|---:|---:|")
    for spec in sys.argv[4:]:
        label, path = spec.split("|", 1)
        total = "?"
        samples = []
        for index in range(requests + requests // 10):
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                sys.exit(f"{label}: HTTP {response.status}: {body[:200]!r}")
            if index >= requests // 10:  # the first tenth warms caches and is not counted
                samples.append(elapsed)
            if index == 0:
                marker = b'"total":'
                at = body.find(marker)
                if at < 0 and b'<span class="count">' in body:
                    # An HTML list: the first tab's count.
                    marker = b'<span class="count">'
                    at = body.find(marker)
                if at >= 0:
                    end = at + len(marker)
                    while end < len(body) and body[end:end + 1].isdigit():
                        end += 1
                    total = body[at + len(marker):end].decode()
        samples.sort()
        print(f"| `{label}` | {len(samples)} | {percentile(samples, 0.5):.2f} | {percentile(samples, 0.95):.2f} "
              f"| {percentile(samples, 0.99):.2f} | {total} |")


if __name__ == "__main__":
    main()

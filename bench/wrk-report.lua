-- wrk script shared by every endpoint in bench/run.sh.
--
-- Environment:
--   BENCH_NAME   label printed in the RESULT line (defaults to the request path)
--   BENCH_TOKEN  session token; when set, every request carries it as a bearer
--   BENCH_COOKIE 1: send the token as the panel's session cookie instead
--
-- wrk loads this file once per thread and once more for done(), so the header
-- is set at top level to reach every thread's requests.
local token = os.getenv("BENCH_TOKEN")
if token ~= nil and token ~= "" then
  if os.getenv("BENCH_COOKIE") == "1" then
    wrk.headers["Cookie"] = "uplink_session=" .. token
  else
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

-- One line for bench/run.sh to parse, next to wrk's own human-readable report:
--   RESULT <name> <req/s> <p50 ms> <p99 ms> <errors>
--   PERCENTILES <name> p90 <ms> p95 <ms> p99 <ms>
-- errors = socket errors (connect, read, write, timeout) + HTTP status errors.
-- wrk counts a response as a status error when its status is 400 or above;
-- run.sh checks beforehand that each endpoint answers 2xx, so no 3xx slip by.
function done(summary, latency, requests)
  local name = os.getenv("BENCH_NAME") or wrk.path
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  -- wrk reports durations and latencies in microseconds.
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT %s %.1f %.3f %.3f %d\n",
    name,
    summary.requests / seconds,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    errors))
  io.write(string.format("PERCENTILES %s p90 %.3f p95 %.3f p99 %.3f\n",
    name, latency:percentile(90) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  if e.status > 0 then
    io.write(string.format("non-2xx responses for %s: %d\n", name, e.status))
  end
end

-- wrk script for bench/billing.sh: POST /api/v1/customers/{id}/recharge {"days":1},
-- each request for the next customer of a list (so concurrent requests hit
-- distinct customers) with its own Idempotency-Key.
--
-- Environment: BENCH_TOKEN (bearer), BENCH_IDS (file with one customer id per
-- line), BENCH_THREADS (wrk threads, to split the list).
local token = os.getenv("BENCH_TOKEN")
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do
  ids[#ids + 1] = line
end

local counter = 0
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local next_thread = 0

-- thread_index is a global: setup() sets it in each thread's own Lua state (a
-- local of the same name would hide it, and every thread would send the same
-- keys, which the server answers as replays).
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  counter = thread_index
  started = os.time()
end

function request()
  local id = ids[(counter % #ids) + 1]
  local key = "bench-" .. thread_index .. "-" .. counter .. "-" .. started
  counter = counter + threads
  return wrk.format("POST", "/api/v1/customers/" .. id .. "/recharge", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, '{"days":1}')
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT recharge %.1f %.3f %.3f %.3f %d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, errors))
end

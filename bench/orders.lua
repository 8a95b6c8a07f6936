-- wrk script: POST /api/v1/orders with a realistic JSON body, rotating customer codes over
-- the seeded customers (BENCH_CUSTOMERS, CUST-000001 ...), with the bearer token in
-- BENCH_TOKEN (if set). At the end it prints one line,
-- "BENCH_RESULT {json}", that bench/wrk.py reads.
local customers = tonumber(os.getenv("BENCH_CUSTOMERS") or "1000")
local path = os.getenv("BENCH_PATH") or "/api/v1/orders"
local items = {
  {"Maize flour 2kg", "1250.00", 2},
  {"Sugar 1kg", "180.00", 1},
  {"Cooking oil 3L", "1050.50", 1},
  {"Rice 5kg", "975.00", 3},
}
local headers = {["Content-Type"] = "application/json"}
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  headers["Authorization"] = "Bearer " .. token
end
local counter = 0
local offset = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end

function init(args)
  counter = offset
end

function request()
  counter = counter + 1
  local n = (counter % customers) + 1
  local it = items[(counter % #items) + 1]
  local body = string.format(
    '{"customer_code": "CUST-%06d", "item": "%s", "quantity": %d, "amount": "%s", "currency": "KES"}',
    n, it[1], it[3], it[2])
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "p50": %d, "p90": %d, ' ..
    '"p99": %d, "p999": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end

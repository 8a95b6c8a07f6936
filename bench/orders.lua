-- wrk script: one order per request with a realistic body, rotating customer codes over
-- the seeded customers (BENCH_CUSTOMERS, CUST-000001 ...), with the bearer token in
-- BENCH_TOKEN (if set). BENCH_API picks the API: "rest" (default) POSTs the JSON body to
-- BENCH_PATH (/api/v1/orders); "graphql" POSTs the same order, as the createOrder
-- mutation's variables, to BENCH_PATH (/graphql).
--
-- GraphQL answers 200 even when it refuses (a typed failure member, or errors), so in
-- graphql mode every 200 is checked here, cheaply: it counts as good only when its body
-- names the success payload ("CreateOrderPayload") and carries no "errors" key; the others
-- are counted as "refused". At the end it prints one line, "BENCH_RESULT {json}", that
-- bench/wrk.py reads.
local customers = tonumber(os.getenv("BENCH_CUSTOMERS") or "1000")
local graphql = os.getenv("BENCH_API") == "graphql"
local path = os.getenv("BENCH_PATH") or (graphql and "/graphql" or "/api/v1/orders")
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
-- One document, the order's fields as variables (what a client sends): the server parses
-- and validates it once per worker (api/graphql/limits.py's caches). It selects every
-- field REST's answer carries, so both answers are the same order.
local mutation = "mutation CreateOrder($input: OrderInput!) { createOrder(input: $input) { " ..
  "__typename ... on CreateOrderPayload { replayed order { id reference customerId " ..
  "customerCode item quantity amount currency orderedAt createdAt createdBy notification { " ..
  "status updatedAt sentAt deliveredAt attempts lastError providerMessageId } } } " ..
  "... on UserError { code message } } }"
local rest_body = '{"customer_code": "CUST-%06d", "item": "%s", "quantity": %d, ' ..
  '"amount": "%s", "currency": "KES"}'
local graphql_body = '{"query": "' .. mutation .. '", "operationName": "CreateOrder", ' ..
  '"variables": {"input": {"customerCode": "CUST-%06d", "item": "%s", "quantity": %d, ' ..
  '"amount": "%s", "currency": "KES"}}}'
local template = graphql and graphql_body or rest_body
local counter = 0
local offset = 0
local threads = {}
-- Per thread (a global, so that done() can read it with thread:get).
refused = 0

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
  local body = string.format(template, n, it[1], it[3], it[2])
  return wrk.format("POST", path, headers, body)
end

if graphql then
  -- Defined only in graphql mode: wrk hands bodies to the script only when it has one.
  function response(status, headers, body)
    if status == 200 and (not string.find(body, '"CreateOrderPayload"', 1, true)
        or string.find(body, '"errors"', 1, true)) then
      refused = refused + 1
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("refused") or 0)
  end
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"refused": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "p50": %d, "p90": %d, ' ..
    '"p99": %d, "p999": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency.min, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end

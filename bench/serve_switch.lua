-- wrk script for bench/serve_switch.sh: POSTs one group request (env QUIVER_BODY) and sorts
-- every answer: side A (env QUIVER_SIDE_A, the members' "results" JSON), side B
-- (QUIVER_SIDE_B, the multi-label model's), or mixed (anything else). Prints one JSON line.
wrk.method = "POST"
wrk.body = os.getenv("QUIVER_BODY")
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  side_a, side_b, mixed, non_200 = 0, 0, 0, 0
  ref_a, ref_b = os.getenv("QUIVER_SIDE_A"), os.getenv("QUIVER_SIDE_B")
end

function response(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1; return end
  local results = body:match('"results":(.*)}$')
  if results == ref_a then side_a = side_a + 1
  elseif results == ref_b then side_b = side_b + 1
  else mixed = mixed + 1 end
end

function done(summary, latency, requests)
  local a, b, m, n = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a, b = a + t:get("side_a"), b + t:get("side_b")
    m, n = m + t:get("mixed"), n + t:get("non_200")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%d,"non_200":%d,' ..
    '"side_a":%d,"side_b":%d,"mixed":%d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status, n, a, b, m))
end

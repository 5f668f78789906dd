-- wrk script for bench/soak.sh: POSTs one group request (env QUIVER_BODY) and sorts every
-- answer: 200 with the reference "results" (env QUIVER_RESULTS), 200 with anything else
-- (wrong), 429 (queue full: overload, expected), and any other status (failed). Prints
-- one JSON line.
wrk.method = "POST"
wrk.body = os.getenv("QUIVER_BODY")
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  ok, wrong, overload, failed = 0, 0, 0, 0
  reference = os.getenv("QUIVER_RESULTS")
end

function response(status, headers, body)
  if status == 429 then overload = overload + 1; return end
  if status ~= 200 then failed = failed + 1; return end
  if body:match('"results":(.*)}$') == reference then ok = ok + 1 else wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local o, w, q, f = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    o, w = o + t:get("ok"), w + t:get("wrong")
    q, f = q + t:get("overload"), f + t:get("failed")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.1f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"socket_errors":%d,' ..
    '"ok":%d,"wrong":%d,"overload_429":%d,"failed":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, o, w, q, f))
end

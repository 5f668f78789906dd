-- wrk script for bench/serve_load.sh: POSTs one JSON body (env QUIVER_BODY) on every
-- keep-alive connection and prints one JSON summary line at the end: "errors" are socket
-- errors and timeouts, "non_200" the answers other than 200.
wrk.method = "POST"
wrk.body = os.getenv("QUIVER_BODY")
wrk.headers["Content-Type"] = "application/json"

-- Each wrk thread runs its own Lua state: response() counts in the thread's state, and
-- done() (in the main state) sums the threads' counters.
local threads = {}
function setup(thread) table.insert(threads, thread) end

non_200 = 0
function response(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1 end
end

function done(summary, latency, requests)
  local non_200 = 0
  for _, t in ipairs(threads) do non_200 = non_200 + t:get("non_200") end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,' ..
    '"errors":%d,"non_200":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, non_200))
end

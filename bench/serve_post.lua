-- wrk script for bench/serve_load.sh: POSTs one JSON body (env QUIVER_BODY) on every
-- keep-alive connection and prints one JSON summary line at the end.
wrk.method = "POST"
wrk.body = os.getenv("QUIVER_BODY")
wrk.headers["Content-Type"] = "application/json"

local non_200 = 0

function response(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,' ..
    '"errors":%d,"non_200":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status, non_200))
end

-- wrk script for bench/density.sh: each request goes to one of N models
-- (/v1/models/mNNNN:predict, one row of 40 ids), chosen by env QUIVER_DIST = zipf (s = 1.1,
-- model 0 the hottest) or uniform; env QUIVER_DELAY_MS paces every connection (wrk's
-- delay(): the next request of a connection starts that long after its previous answer),
-- so connections x 1000 / (delay + latency) sets the rate. setup(), response() and done()
-- (one JSON summary line) are bench/serve_post.lua's; run from the repository root.
dofile("bench/serve_post.lua")
local n = tonumber(os.getenv("QUIVER_MODELS"))
local dist = os.getenv("QUIVER_DIST") or "uniform"
local pace = tonumber(os.getenv("QUIVER_DELAY_MS") or "0")
local body = '{"instances": [[5, 17, 300, 42, 1999, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, ' ..
             '18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, ' ..
             '38, 39, 40, 41]]}'
local cdf = {}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  local total = 0
  for i = 1, n do
    total = total + (dist == "zipf" and 1 / i ^ 1.1 or 1)
    cdf[i] = total
  end
  for i = 1, n do cdf[i] = cdf[i] / total end
end

local function pick()
  local u, lo, hi = math.random(), 1, n
  while lo < hi do  -- the first i with cdf[i] >= u
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] >= u then hi = mid else lo = mid + 1 end
  end
  return lo - 1
end

function request()
  return wrk.format("POST", string.format("/v1/models/m%04d:predict", pick()),
                    {["Content-Type"] = "application/json"}, body)
end

function delay() return pace end

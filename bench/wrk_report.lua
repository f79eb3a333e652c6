-- wrk script for bench/api.py: cycle through the paths in the file named by PATHS_FILE (one a
-- line, e.g. bench/rotation.py's searches) or, without it, those in PATHS (separated by "|"),
-- each thread starting at its own place in the list so that the threads do not send the same
-- search at the same moment. Answers that are not 2xx count as errors (wrk itself counts only
-- statuses above 399). done() prints one parsable line:
--   RESULT requests=N errors=N non2xx=N rps=R p50_ms=X p95_ms=X p99_ms=X max_ms=X paths=N
local threads = {}

local paths = {}
local file = os.getenv("PATHS_FILE")
if file then
  for line in io.lines(file) do
    if line ~= "" then table.insert(paths, line) end
  end
else
  for p in string.gmatch(os.getenv("PATHS") or "/healthz", "[^|]+") do
    table.insert(paths, p)
  end
end

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local prepared = {}
local i = 0
non2xx = 0

function init(args)
  for n, path in ipairs(paths) do
    prepared[n] = wrk.format("GET", path)
  end
  -- Threads spread evenly over the list: thread_index comes from setup() above, the count
  -- from WRK_THREADS (a thread's own Lua state does not see the others).
  local count = tonumber(os.getenv("WRK_THREADS") or "2")
  i = math.floor((thread_index or 0) * #paths / count)
end

function request()
  i = i % #prepared + 1
  return prepared[i]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  io.write(string.format(
    "RESULT requests=%d errors=%d non2xx=%d rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f "
      .. "max_ms=%.2f paths=%d\n",
    summary.requests,
    e.connect + e.read + e.write + e.timeout + bad,
    bad,
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, #paths
  ))
end

-- wrk script for tests/reliability/test_load.py.
--
-- Each connection asks for the paths in the PATHS environment variable (separated by "|")
-- in turn, the threads starting at different places in the list. Answers that are not 2xx
-- or 3xx are counted per status (wrk itself counts only statuses above 399). done() prints
-- one parsable line:
--   RESULT requests=N seconds=S rps=R connect=N read=N write=N timeout=N status=N bad=N
--          p50_ms=X p99_ms=X max_ms=X bad_statuses=500:3,503:1
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/healthz", "[^|]+") do
  table.insert(paths, p)
end

local i = 0
bad = 0
statuses = {}

function init(args)
  i = offset or 0
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  if status < 200 or status >= 400 then
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

local function sum_threads()
  local total, by_status = 0, {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(by_status) do
    table.insert(parts, status .. ":" .. count)
  end
  return total, table.concat(parts, ",")
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  local total_bad, bad_statuses = sum_threads()
  io.write(string.format(
    "RESULT requests=%d seconds=%.1f rps=%.1f connect=%d read=%d write=%d timeout=%d "
      .. "status=%d bad=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f bad_statuses=%s\n",
    summary.requests, seconds, summary.requests / seconds,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status, total_bad,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    bad_statuses == "" and "-" or bad_statuses
  ))
end

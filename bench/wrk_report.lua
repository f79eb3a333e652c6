-- wrk script: cycle through the paths given in the PATHS environment variable (separated
-- by "|") and print the latency percentiles and throughput as one parsable line.
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/healthz", "[^|]+") do
  table.insert(paths, p)
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d errors=%d rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000
  ))
end

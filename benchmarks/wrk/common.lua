-- Shared by report.lua and mixed.lua: count the status of every response, and print one line
-- (WRK_RESULT {json}) that benchmarks/harness.py parses: requests, duration, p50/p99 latency,
-- socket errors and the count of each status (responses that are not 2xx are errors).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function parse_headers(text)
   local headers = {}
   for line in string.gmatch(text or "", "[^\n]+") do
      local name, value = string.match(line, "^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
   end
   return headers
end

function done(summary, latency, requests)
   local totals = {}
   for _, thread in ipairs(threads) do
      for code, count in pairs(thread:get("statuses")) do
         totals[code] = (totals[code] or 0) + count
      end
   end
   local parts = {}
   for code, count in pairs(totals) do
      table.insert(parts, string.format('"%d": %d', code, count))
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, '
         .. '"statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.timeout, e.status, table.concat(parts, ", ")))
end

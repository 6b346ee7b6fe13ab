-- Several requests in turn (WRK_COUNT of them; request i from WRK_<i>_METHOD, WRK_<i>_PATH,
-- WRK_<i>_HEADERS, WRK_<i>_BODY): the mixed load of benchmarks/mixed_load.py.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
require "common"

local requests = {}
local index = 0

function init(args)
   for i = 1, tonumber(os.getenv("WRK_COUNT") or "0") do
      local body = os.getenv("WRK_" .. i .. "_BODY")
      if body == "" then body = nil end
      requests[i] = wrk.format(
         os.getenv("WRK_" .. i .. "_METHOD"), os.getenv("WRK_" .. i .. "_PATH"),
         parse_headers(os.getenv("WRK_" .. i .. "_HEADERS")), body)
   end
end

function request()
   index = index % #requests + 1
   return requests[index]
end

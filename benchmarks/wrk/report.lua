-- One request, sent again and again: WRK_METHOD, WRK_HEADERS ("Name: value" lines), WRK_BODY.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
require "common"

wrk.method = os.getenv("WRK_METHOD") or "GET"
wrk.headers = parse_headers(os.getenv("WRK_HEADERS"))
local body = os.getenv("WRK_BODY")
if body and body ~= "" then wrk.body = body end

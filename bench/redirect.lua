-- redirect.lua: wrk script for the redirect bench.
--
-- Usage: wrk ... -s bench/redirect.lua URL -- CODES_FILE [close]
--
-- Requests GET /{code} for every code of CODES_FILE round-robin (one
-- request string per code, built once with wrk.format). With "close" each
-- request carries "Connection: close", so every request is a fresh
-- connection. Every request carries a browser User-Agent. done() prints
-- one machine-readable line:
--   RESULT requests=N seconds=S rps=R p50_us=A p99_us=B errors=E non3xx=0
-- where errors counts connect/read/write/timeout errors and non3xx counts
-- answers that were not 2xx/3xx (wrk's "status" error).

local reqs = {}
local n = 0
local i = 0

function init(args)
   local file = args[1]
   if file == nil then
      error("redirect.lua: give the codes file after --")
   end
   -- A browser's User-Agent: without one every click would be a bot's,
   -- and the bench would skip the unique-visitor work real clicks pay.
   local headers = {["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 " ..
                    "(KHTML, like Gecko) Chrome/120.0 Safari/537.36"}
   if args[2] == "close" then
      headers["Connection"] = "close"
   end
   for code in io.lines(file) do
      if code ~= "" then
         n = n + 1
         reqs[n] = wrk.format("GET", "/" .. code, headers)
      end
   end
   if n == 0 then
      error("redirect.lua: no codes in " .. file)
   end
end

function request()
   i = i + 1
   if i > n then
      i = 1
   end
   return reqs[i]
end

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d seconds=%.3f rps=%.0f p50_us=%d p99_us=%d errors=%d non3xx=%d\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50), latency:percentile(99),
      e.connect + e.read + e.write + e.timeout, e.status))
end

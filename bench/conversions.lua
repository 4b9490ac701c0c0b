-- conversions.lua: wrk script for the durable-write bench.
--
-- Usage: wrk ... -s bench/conversions.lua URL -- CLICKS_FILE [PREBUILT]
-- CLICKS_FILE: the brand key on the first line, click ids after it.
-- Every request is POST /api/v1/conversions with a fresh order id, on the
-- click ids in turn. init() builds the first PREBUILT requests (default
-- 200000) before wrk starts its clock, so that the load generator, which
-- shares the machine's cores with the server, spends its measured time
-- sending rather than formatting; past them, request() builds each one.
-- done() prints one line:
--   RESULT requests=N seconds=S rps=R p99_us=P non2xx=E

local key
local clicks = {}
local n = 0
local i = 0
local thread_id = 0
local head
local prebuilt = {}
local n_prebuilt = 0
local next_prebuilt = 0

local function build()
   i = i + 1
   local body = '{"click_id":"' .. clicks[(i % n) + 1] .. '","order_id":"o-' .. thread_id .. "-" ..
      i .. '","amount":' .. (1000 + (i % 9000)) .. ',"currency":"USD"}'
   return head .. #body .. "\r\n\r\n" .. body
end

function init(args)
   for line in io.lines(args[1]) do
      if key == nil then
         key = line
      elseif line ~= "" then
         n = n + 1
         clicks[n] = line
      end
   end
   thread_id = math.random(1, 1000000000)
   head = "POST /api/v1/conversions HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port ..
      "\r\nAuthorization: Bearer " .. key ..
      "\r\nContent-Type: application/json\r\nContent-Length: "
   n_prebuilt = tonumber(args[2] or "200000")
   for k = 1, n_prebuilt do
      prebuilt[k] = build()
   end
end

function request()
   if next_prebuilt < n_prebuilt then
      next_prebuilt = next_prebuilt + 1
      local r = prebuilt[next_prebuilt]
      prebuilt[next_prebuilt] = nil
      return r
   end
   return build()
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local bad = summary.errors.status + summary.errors.connect + summary.errors.read +
               summary.errors.write + summary.errors.timeout
   io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.0f p99_us=%d non2xx=%d\n",
                          summary.requests, secs, summary.requests / secs,
                          latency:percentile(99), bad))
end

-- conversions.lua: wrk script for the durable-write bench.
--
-- Usage: wrk ... -s bench/conversions.lua URL -- CLICKS_FILE
-- CLICKS_FILE: the brand key on the first line, click ids after it.
-- Every request is POST /api/v1/conversions with a fresh order id, on the
-- click ids in turn. done() prints one line:
--   RESULT requests=N seconds=S rps=R p99_us=P non2xx=E

local key
local clicks = {}
local n = 0
local i = 0
local thread_id = 0

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
end

function request()
   i = i + 1
   local body = string.format(
      '{"click_id":"%s","order_id":"o-%d-%d","amount":%d,"currency":"USD"}',
      clicks[(i % n) + 1], thread_id, i, 1000 + (i % 9000))
   return wrk.format("POST", "/api/v1/conversions",
                     {["Authorization"] = "Bearer " .. key,
                      ["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local bad = summary.errors.status + summary.errors.connect + summary.errors.read +
               summary.errors.write + summary.errors.timeout
   io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.0f p99_us=%d non2xx=%d\n",
                          summary.requests, secs, summary.requests / secs,
                          latency:percentile(99), bad))
end

-- wrk script: random requests from a list, and every response checked.
--
--   wrk -s checked.lua URL -- TARGETS KIND [HEADER_NAME HEADER_VALUE]
--
-- TARGETS holds one target per line: a code (KIND "lookup": GET /v1/addresses/CODE) or
-- "code,lat,lon" (KIND "reverse": GET /v1/reverse at the address's own point, limit 1).
-- Each request carries X-Request-Id "<code>.<n>", which the service echoes; a response is
-- right when its status is 200, its request id is one this thread sent and has not seen
-- answered, and its body holds "code":"<that code>". Anything else counts as wrong.
-- done() prints one line "BENCH {json}" with the counts and latency percentiles.

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   targets = {}
   kind = args[2]
   for line in io.lines(args[1]) do
      if #line > 0 then table.insert(targets, line) end
   end
   extra_name, extra_value = args[3], args[4]
   pending = {}
   sent, checked, wrong, bad_status = 0, 0, 0, 0
   math.randomseed(os.time() * 1000 + id)
end

function request()
   local target = targets[math.random(#targets)]
   local code, path = target, nil
   if kind == "reverse" then
      local lat, lon
      code, lat, lon = target:match("([^,]+),([^,]+),([^,]+)")
      path = "/v1/reverse?lat=" .. lat .. "&lon=" .. lon .. "&limit=1"
   else
      path = "/v1/addresses/" .. code
   end
   sent = sent + 1
   local request_id = code .. "." .. sent
   pending[request_id] = code
   local headers = { ["X-Request-Id"] = request_id }
   if extra_name then headers[extra_name] = extra_value end
   return wrk.format("GET", path, headers)
end

function response(status, headers, body)
   checked = checked + 1
   local request_id = headers["X-Request-Id"] or headers["x-request-id"]
   local code = request_id and pending[request_id]
   if status ~= 200 then
      bad_status = bad_status + 1
      if code then pending[request_id] = nil end
      return
   end
   if not code then
      wrong = wrong + 1
      return
   end
   pending[request_id] = nil
   if not (body:find('"code":"' .. code .. '"', 1, true)
           or body:find('"code": "' .. code .. '"', 1, true)) then
      wrong = wrong + 1
   end
end

function done(summary, latency, requests)
   local checked_all, wrong_all, bad_all = 0, 0, 0
   for _, thread in ipairs(threads) do
      checked_all = checked_all + thread:get("checked")
      wrong_all = wrong_all + thread:get("wrong")
      bad_all = bad_all + thread:get("bad_status")
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
      '"write_errors":%d,"timeouts":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d,' ..
      '"mean_us":%.1f,"checked":%d,"wrong":%d,"bad_status":%d}\n',
      summary.requests, summary.duration, errors.connect, errors.read, errors.write,
      errors.timeout, errors.status, latency:percentile(50), latency:percentile(99),
      latency.mean, checked_all, wrong_all, bad_all))
end

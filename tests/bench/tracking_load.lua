-- wrk script of tests/bench/bench_tracking_load.py: random messages' open pixels and link clicks.
--
--   wrk -s tracking_load.lua <base url> -- <tokens file> <open percent | health> <deadline (epoch s)>
--
-- The tokens file has one "<token> <link number>" per line. Each request picks a line at random and,
-- with the given probability in percent, fetches the open pixel, otherwise clicks the line's link
-- (always the same link per message, so no message has "all links at once"). "health" asks /healthz
-- instead (the ceiling). A browser's User-Agent, so the tracking endpoints take people's requests.
--
-- Exact counting: every request is preceded by a delay() call (a delay() function makes wrk ask for
-- one); after the deadline delay() holds every connection back, so no request starts later
-- and the ones in flight are answered before wrk ends (wrk's duration is the deadline plus a grace
-- period). response() counts only complete, well-formed answers: 200 image/gif for an open, 302 for a
-- click, 200 "ok" for /healthz. done() prints one line "OKURU_WRK {json}" with the sums of all threads.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_usec; } okuru_timeval;
int gettimeofday(okuru_timeval *tv, void *tz);
]])
local timeval = ffi.new("okuru_timeval")

local function now()
  ffi.C.gettimeofday(timeval, nil)
  return tonumber(timeval.tv_sec) + tonumber(timeval.tv_usec) / 1e6
end

local BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
  .. "Chrome/126.0.0.0 Safari/537.36"
local COUNTERS = {
  "sent_open", "sent_click", "sent_health", "ok_open", "ok_click", "ok_health",
  "status_2xx_3xx_unexpected", "status_4xx", "status_5xx",
}

-- main state: one entry per thread, read back in done()
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

-- thread states from here on
function init(args)
  mode = args[2]
  open_percent = tonumber(args[2]) or 0
  deadline = tonumber(args[3])
  tokens, links = {}, {}
  if mode ~= "health" then
    for line in io.lines(args[1]) do
      local token, link = line:match("^(%x+) (%d+)$")
      if token then
        tokens[#tokens + 1] = token
        links[#links + 1] = link
      end
    end
  end
  wrk.headers["User-Agent"] = BROWSER
  wrk.headers["Accept"] = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
  wrk.headers["Accept-Language"] = "ja,en-US;q=0.9"
  health_request = wrk.format("GET", "/healthz")
  math.randomseed(thread_number * 7919 + math.floor(now() * 1000) % 100000)
  for _, name in ipairs(COUNTERS) do
    _G[name] = 0
  end
  first_request_at = 0
  last_response_at = 0
  running = false -- wrk calls request() once before the run to check it: that one is not sent
end

function delay()
  running = true
  if now() >= deadline then
    return 3600000 -- an hour: no new request after the deadline
  end
  return 0
end

function request()
  if running and first_request_at == 0 then
    first_request_at = now()
  end
  local count = running and 1 or 0
  if mode == "health" then
    sent_health = sent_health + count
    return health_request
  end
  local i = math.random(#tokens)
  if math.random(100) <= open_percent then
    sent_open = sent_open + count
    return wrk.format("GET", "/t/o/" .. tokens[i] .. ".gif")
  end
  sent_click = sent_click + count
  return wrk.format("GET", "/t/c/" .. tokens[i] .. "/" .. links[i] .. "/")
end

function response(status, headers, body)
  last_response_at = now()
  if status >= 500 then
    status_5xx = status_5xx + 1
  elseif status >= 400 then
    status_4xx = status_4xx + 1
  elseif status == 302 and headers["Location"] then
    ok_click = ok_click + 1
  elseif status == 200 and headers["Content-Type"] == "image/gif" then
    ok_open = ok_open + 1
  elseif status == 200 and body == "ok" then
    ok_health = ok_health + 1
  else
    status_2xx_3xx_unexpected = status_2xx_3xx_unexpected + 1
  end
end

local function json(values)
  local parts = {}
  for key, value in pairs(values) do
    if type(value) == "table" then
      parts[#parts + 1] = string.format("%q:%s", key, json(value))
    else
      parts[#parts + 1] = string.format("%q:%.17g", key, value)
    end
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local sums = {}
  for _, name in ipairs(COUNTERS) do
    sums[name] = 0
  end
  local first, last = math.huge, 0
  for _, thread in ipairs(threads) do
    for _, name in ipairs(COUNTERS) do
      sums[name] = sums[name] + thread:get(name)
    end
    local started = thread:get("first_request_at")
    if started > 0 and started < first then
      first = started
    end
    last = math.max(last, thread:get("last_response_at"))
  end
  sums.first_request_at = first < math.huge and first or 0
  sums.last_response_at = last
  sums.responses = summary.requests
  sums.wrk_duration_us = summary.duration
  sums.errors = {
    connect = summary.errors.connect,
    read = summary.errors.read,
    write = summary.errors.write,
    status = summary.errors.status,
    timeout = summary.errors.timeout,
  }
  sums.latency_us = {
    p50 = latency:percentile(50),
    p90 = latency:percentile(90),
    p99 = latency:percentile(99),
    max = latency.max,
    mean = latency.mean,
  }
  io.write("OKURU_WRK " .. json(sums) .. "\n")
end

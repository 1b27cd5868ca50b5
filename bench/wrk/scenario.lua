-- One wrk script for every bench/run scenario, configured from the environment:
--   BENCH_METHOD   GET or POST (default GET)
--   BENCH_PATH     request path; "{1}" is replaced by the first field of a credentials line
--   BENCH_CREDS    file with one credentials line per request variant (fields split on spaces);
--                  requests rotate over the lines so no single record stays hot
--   BENCH_AUTH     Authorization header value, e.g. "Bearer {1}" or "Basic {1}" (none if unset)
--   BENCH_BODY     request body; "{1}", "{2}" are replaced by fields of the line
--   BENCH_CTYPE    Content-Type of the body (default application/json)
--   BENCH_OUT      file the done() hook writes its JSON summary to
-- Requests are formatted once per line at start-up, so the Lua cost per request is a table index.

local function split(line)
  local fields = {}
  for f in string.gmatch(line, "%S+") do
    fields[#fields + 1] = f
  end
  return fields
end

local function fill(template, fields)
  if template == nil then
    return nil
  end
  return (string.gsub(template, "{(%d)}", function(i)
    return fields[tonumber(i)] or ""
  end))
end

local requests = {}
local counter = 0

function init(args)
  local method = os.getenv("BENCH_METHOD") or "GET"
  local path_t = os.getenv("BENCH_PATH") or "/"
  local auth = os.getenv("BENCH_AUTH")
  local body_t = os.getenv("BENCH_BODY")
  local ctype = os.getenv("BENCH_CTYPE") or "application/json"
  local lines = {}
  local creds = os.getenv("BENCH_CREDS")
  if creds ~= nil and creds ~= "" then
    for line in io.lines(creds) do
      if line ~= "" then
        lines[#lines + 1] = split(line)
      end
    end
  end
  if #lines == 0 then
    lines[1] = {}
  end
  for _, fields in ipairs(lines) do
    local headers = {}
    if auth ~= nil and auth ~= "" then
      headers["Authorization"] = fill(auth, fields)
    end
    local body = fill(body_t, fields)
    if body ~= nil then
      headers["Content-Type"] = ctype
    end
    requests[#requests + 1] = wrk.format(method, fill(path_t, fields), headers, body)
  end
  -- Start each thread at a different point of the rotation.
  counter = math.random(0, #requests - 1)
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function done(summary, latency, requests)
  local out = os.getenv("BENCH_OUT")
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local json = string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_us":%d,"p99_us":%d,"max_us":%d,'
      .. '"errors_status":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_timeout":%d}',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout
  )
  if out ~= nil and out ~= "" then
    local f = assert(io.open(out, "w"))
    f:write(json, "\n")
    f:close()
  else
    io.write(json, "\n")
  end
end

-- wrk script: 64 KiB Range requests at page-unaligned offsets over a list of signed paths.
-- The list (one "path size" per line) is named by the PATHS environment variable.
local paths, sizes = {}, {}

function init(args)
  for line in io.lines(os.getenv("PATHS")) do
    local p, s = line:match("^(%S+) (%d+)$")
    if p then
      paths[#paths + 1] = p
      sizes[#sizes + 1] = tonumber(s)
    end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 1000)
end

function request()
  local i = math.random(#paths)
  local span = 65536
  local max = sizes[i] - span
  local first = 0
  if max > 1 then first = math.random(0, max - 1) end
  -- keep it off page boundaries, as players' offsets are
  if first % 4096 == 0 then first = first + 17 end
  return wrk.format("GET", paths[i], { ["Range"] = "bytes=" .. first .. "-" .. (first + span - 1) })
end

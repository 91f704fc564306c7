-- Shared by the wrk scripts report.lua and storm.lua (loaded with dofile from their folder):
-- the threads wrk made, and the status codes their response() counted, merged in done().

local M = { threads = {} }

-- wrk's setup(): keeps each thread, to read its globals back in done().
function M.setup(thread)
  table.insert(M.threads, thread)
end

-- Every thread's `codes` table merged: the "code:count" parts sorted, and the count of codes
-- outside 2xx.
function M.merged_codes()
  local merged = {}
  for _, t in ipairs(M.threads) do
    local c = t:get("codes")
    if type(c) == "table" then
      for k, v in pairs(c) do merged[k] = (merged[k] or 0) + v end
    end
  end
  local parts, non2xx = {}, 0
  for k, v in pairs(merged) do
    table.insert(parts, string.format("%s:%d", tostring(k), v))
    local s = tonumber(k)
    if s and (s < 200 or s > 299) then non2xx = non2xx + v end
  end
  table.sort(parts)
  return parts, non2xx
end

return M

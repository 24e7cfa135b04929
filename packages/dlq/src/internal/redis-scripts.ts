/**
 * Lua scripts of the Redis backend. Each runs atomically, so a batch is written entirely or not at all, and
 * two workers can never claim the same entry. Every key shares the queue's `{hash tag}`, so on Redis Cluster
 * they live in one slot and the scripts may touch entry keys they derive from the base prefix.
 *
 * Keys under base `<prefix>{<name>}:`: `keys` (hash: idempotency key → id), `s` (stream, consumer group `pw`),
 * `e:<id>` (entry hash: the fields changed since the entry was created; absent until the first change),
 * `h:<id>` (audit list of JSON `[at, from, to, by, why]`), `stacks` (hash: stack hash → stack text, shared by all
 * entries).
 *
 * An entry is created as one message of `s`, and its id is that message's id: `e` '', `k` idempotency key, `h`
 * head (JSON array of strings: pipeline, step, run id, error code, failure count, first and last failure,
 * updated at; times in epoch ms), `d` data (JSON of the captured record and error). The entry is that message read
 * as the fields `state` pending, `idempotency_key`, `pipeline`, `step`, `run_id`, `error_code`, `failure_count`,
 * `first_failed_at`, `last_failed_at`, `updated_at`, `data`, `redrive_count` 0 and `msg` (its live work message:
 * the creation message itself), overlaid with its hash `e:<id>` (a field of the hash wins). A stream message
 * rests in a listpack node, so the ~600-byte `data` costs no more than any other field, while a hash holding it
 * would be converted to a real hashtable (`hash-max-listpack-value` 64): a send writes one message of three
 * fields and one `keys` field per entry, and the small lifecycle fields a redrive changes keep `e:<id>` a
 * listpack. A re-send writes the new `run_id`, `error_code`, `data`, counts and times into `e:<id>`.
 *
 * The work queue is the same stream: a creation message is the entry's first work message; re-opening an entry
 * adds a work message `e` <id>. A finished work message is acknowledged; a work message `e` <id> is also
 * deleted, a creation message only when its entry is purged. Entries written by earlier versions (every field in
 * `e:<id>`, creation message `e` '' without fields) read the same way.
 */

const AUDIT = `
local function audit(base, id, now, from, to, by, why)
  redis.call('RPUSH', base .. 'h:' .. id, cjson.encode({now, from, to, by, why}))
end
-- The named fields of entry id (false where it has none): its hash e:<id>, then its creation message, whose
-- fields m the caller may have read already (nil: read here when needed).
local function get(base, stream, id, m, ...)
  local names = {...}
  local v = redis.call('HMGET', base .. 'e:' .. id, unpack(names))
  for k = 1, #names do
    if not v[k] then
      if not m then
        local x = redis.call('XRANGE', stream, id, id)[1]
        m = x and x[2]
      end
      if m and m[2] == '' then
        local f = {}
        for j = 3, #m, 2 do f[m[j]] = m[j + 1] end
        if f.h then
          local h = cjson.decode(f.h)
          f = {state = 'pending', idempotency_key = f.k, pipeline = h[1], step = h[2], run_id = h[3],
            error_code = h[4], failure_count = h[5], first_failed_at = h[6], last_failed_at = h[7],
            updated_at = h[8], data = f.d, redrive_count = '0'}
        end
        f.msg = id
        for q = k, #names do
          if not v[q] then v[q] = f[names[q]] or false end
        end
      end
      return v
    end
  end
  return v
end
-- A finished work message: acknowledged, and deleted unless it is the entry's creation message.
local function drop_message(stream, group, msg, id)
  if msg and msg ~= '' then
    redis.call('XACK', stream, group, msg)
    if msg ~= id then redis.call('XDEL', stream, msg) end
  end
end
`;

/**
 * KEYS: keys hash, stream. ARGV: base, S, S pairs (stack hash, stack text), then 3 per entry: idempotency key,
 * head, data (see above). A new entry is one stream message and one `keys` field. Returns one string: for each
 * entry its id, then `+` when created or `=` when an existing entry was updated, comma-separated.
 */
export const SEND_SCRIPT: string = `${AUDIT}
local base, nstacks = ARGV[1], tonumber(ARGV[2])
local stream = KEYS[2]
for j = 3, 2 + 2 * nstacks, 2 do
  redis.call('HSETNX', base .. 'stacks', ARGV[j], ARGV[j + 1])
end
-- A batch holds each key once, so the ids are looked up and the new ones recorded 500 at a time.
local row1 = 3 + 2 * nstacks
local ids, keys, created = {}, {}, {}
for i = row1, #ARGV, 3 do
  keys[#keys + 1] = ARGV[i]
  if #keys == 500 or i + 3 > #ARGV then
    local found = redis.call('HMGET', KEYS[1], unpack(keys))
    for k = 1, #keys do ids[#ids + 1] = found[k] end
    keys = {}
  end
end
local out = {}
for i = row1, #ARGV, 3 do
  local n = #out + 1
  local key, id = ARGV[i], ids[n]
  local cur = id and get(base, stream, id, nil, 'state', 'first_failed_at', 'last_failed_at', 'failure_count')
  if cur and cur[1] then
    local ek = base .. 'e:' .. id
    local h = cjson.decode(ARGV[i + 1])
    local first, last, now = h[6], h[7], h[8]
    if tonumber(cur[2]) < tonumber(first) then first = cur[2] end
    if tonumber(cur[3]) > tonumber(last) then last = cur[3] end
    redis.call('HSET', ek, 'run_id', h[3], 'error_code', h[4], 'data', ARGV[i + 2],
      'failure_count', tonumber(cur[4]) + tonumber(h[5]), 'first_failed_at', first, 'last_failed_at', last,
      'updated_at', now)
    if cur[1] == 'resolved' or cur[1] == 'discarded' then
      local msg = redis.call('XADD', stream, '*', 'e', id)
      redis.call('HSET', ek, 'state', 'pending', 'msg', msg)
      audit(base, id, now, cur[1], 'pending', 'send', 'failed again')
    end
    out[n] = id .. '='
  else
    id = redis.call('XADD', stream, '*', 'e', '', 'k', key, 'h', ARGV[i + 1], 'd', ARGV[i + 2])
    created[#created + 1] = key
    created[#created + 1] = id
    if #created == 1000 then
      redis.call('HSET', KEYS[1], unpack(created))
      created = {}
    end
    out[n] = id .. '+'
  end
end
if #created > 0 then redis.call('HSET', KEYS[1], unpack(created)) end
return table.concat(out, ',')
`;

/**
 * KEYS: stream. ARGV: base, group, consumer, now, leaseUntil, token, by, filter JSON, id ('' = any), maxScan.
 * Looks first at delivered messages (returned to pending, or leases that expired by the injected clock), then
 * reads new ones with XREADGROUP. Returns the claimed entry id, or false.
 */
export const CLAIM_SCRIPT: string = `${AUDIT}
local base, group, consumer = ARGV[1], ARGV[2], ARGV[3]
local now, lease, token, by = tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local filter = cjson.decode(ARGV[8])
local only, max_scan = ARGV[9], tonumber(ARGV[10])
local stream = KEYS[1]

-- f: state, lease_until, msg, pipeline, step, error_code, run_id, last_failed_at (see inspect).
local function matches(f)
  if filter.pipeline and f[4] ~= filter.pipeline then return false end
  if filter.step and f[5] ~= filter.step then return false end
  if filter.errorCode and f[6] ~= filter.errorCode then return false end
  if filter.runId and f[7] ~= filter.runId then return false end
  if filter.failedBefore and tonumber(f[8]) > filter.failedBefore then return false end
  if filter.failedAfter and tonumber(f[8]) < filter.failedAfter then return false end
  return true
end

local function take(id, ek, prev, msg)
  if msg and msg ~= '' then redis.call('XCLAIM', stream, group, consumer, 0, msg, 'JUSTID') end
  redis.call('HSET', ek, 'state', 'replaying', 'lease_until', lease, 'lease_token', token, 'updated_at', now)
  local why = 'redrive'
  if prev == 'replaying' then why = 'lease expired: reclaimed' end
  audit(base, id, now, prev, 'replaying', by, why)
  return id
end

local function claimable(state, lease_until)
  return state == 'pending' or (state == 'replaying' and tonumber(lease_until) < now)
end

if only ~= '' then
  local st = get(base, stream, only, nil, 'state', 'lease_until', 'msg')
  if not st[1] then return false end
  if claimable(st[1], st[2]) or st[1] == 'parked' or st[1] == 'discarded' then
    return take(only, base .. 'e:' .. only, st[1], st[3])
  end
  return false
end

-- Inspect one delivered message: claim it, skip it, or drop it when stale. Returns an id when claimed.
local function inspect(mid, fields)
  if not fields then
    redis.call('XACK', stream, group, mid)
    return nil
  end
  local id, creation = fields[2], nil
  if id == '' then id, creation = mid, fields end
  local st = get(base, stream, id, creation, 'state', 'lease_until', 'msg', 'pipeline', 'step', 'error_code', 'run_id',
    'last_failed_at')
  if not st[1] or st[3] ~= mid or not (st[1] == 'pending' or st[1] == 'replaying') then
    drop_message(stream, group, mid, id)
    return nil
  end
  if claimable(st[1], st[2]) and matches(st) then return take(id, base .. 'e:' .. id, st[1], mid) end
  return nil
end

local start, scanned = '-', 0
while scanned < max_scan do
  local pend = redis.call('XPENDING', stream, group, start, '+', 100)
  if #pend == 0 then break end
  for _, p in ipairs(pend) do
    local m = redis.call('XRANGE', stream, p[1], p[1])[1]
    local got = inspect(p[1], m and m[2])
    if got then return got end
  end
  scanned = scanned + #pend
  start = '(' .. pend[#pend][1]
end

while scanned < max_scan do
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', stream, '>')
  if not r or #r[1][2] == 0 then break end
  local m = r[1][2][1]
  scanned = scanned + 1
  local got = inspect(m[1], m[2])
  if got then return got end
end
return false
`;

/**
 * KEYS: stream. ARGV: base, group, id, token, completion, maxRedrives, now, by, why. Records the outcome only
 * while the token holds the lease. Returns the new state, or '' when the lease was lost.
 */
export const COMPLETE_SCRIPT: string = `${AUDIT}
local base, group, id, token, completion = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local max, now, by, why = tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[9]
local stream = KEYS[1]
local ek = base .. 'e:' .. id
local st = get(base, stream, id, nil, 'state', 'lease_token', 'msg', 'redrive_count')
if st[1] ~= 'replaying' or st[2] ~= token then return '' end
local to, redrives = 'resolved', tonumber(st[4])
if completion == 'discard' then to = 'discarded' end
if completion == 'fail' then
  redrives = redrives + 1
  if redrives >= max then to = 'parked' else to = 'pending' end
end
redis.call('HSET', ek, 'state', to, 'lease_until', '', 'lease_token', '', 'updated_at', now, 'redrive_count', redrives)
if to == 'pending' then
  -- Its message stays delivered (claimable by the next scan); one removed earlier is replaced.
  if not st[3] or st[3] == '' or #redis.call('XRANGE', stream, st[3], st[3]) == 0 then
    redis.call('HSET', ek, 'msg', redis.call('XADD', stream, '*', 'e', id))
  end
else
  drop_message(stream, group, st[3], id)
  redis.call('HSET', ek, 'msg', '')
end
audit(base, id, now, 'replaying', to, by, why)
return to
`;

/** KEYS: stream. ARGV: base, group, id, from (comma list), to, now, by, why, reset. Returns 1 or 0. */
export const TRANSITION_SCRIPT: string = `${AUDIT}
local base, group, id, from, to = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, by, why, reset = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local stream = KEYS[1]
local ek = base .. 'e:' .. id
local st = get(base, stream, id, nil, 'state', 'msg')
if not st[1] or not string.find(',' .. from .. ',', ',' .. st[1] .. ',', 1, true) then return 0 end
redis.call('HSET', ek, 'state', to, 'updated_at', now, 'lease_until', '', 'lease_token', '')
if reset == '1' then redis.call('HSET', ek, 'redrive_count', 0) end
drop_message(stream, group, st[2], id)
if to == 'pending' then
  redis.call('HSET', ek, 'msg', redis.call('XADD', stream, '*', 'e', id))
else
  redis.call('HSET', ek, 'msg', '')
end
audit(base, id, now, st[1], to, by, why)
return 1
`;

/**
 * KEYS: keys hash, stream. ARGV: base, group, cutoff, states (comma list), ids…. Deletes each entry that still
 * qualifies: its `keys` field, work and creation messages, hash and audit list. Returns how many were deleted.
 */
export const PURGE_SCRIPT: string = `${AUDIT}
local base, group, cutoff, states = ARGV[1], ARGV[2], tonumber(ARGV[3]), ',' .. ARGV[4] .. ','
local deleted = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  local st = get(base, KEYS[2], id, nil, 'state', 'updated_at', 'idempotency_key', 'msg')
  if st[1] and string.find(states, ',' .. st[1] .. ',', 1, true) and tonumber(st[2]) < cutoff then
    if redis.call('HGET', KEYS[1], st[3]) == id then redis.call('HDEL', KEYS[1], st[3]) end
    drop_message(KEYS[2], group, st[4], id)
    redis.call('XACK', KEYS[2], group, id)
    redis.call('XDEL', KEYS[2], id)
    redis.call('DEL', base .. 'e:' .. id, base .. 'h:' .. id)
    deleted = deleted + 1
  end
end
return deleted
`;

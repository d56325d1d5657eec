//! The Lua scripts that make each read-modify-write one atomic call on the server.
//!
//! Times arrive as decimal strings from Rust (never formatted by Lua, whose numbers are
//! doubles); every stored value read back must be decimal digits only, at most 16 of them (so
//! below 2^53, where doubles are exact), or the script fails with
//! [`DATA_ERROR`](super::error::DATA_ERROR) and changes nothing. 2^53 − 1 is the store's "for
//! ever".

use std::sync::LazyLock;

use ::redis::Script;

/// Shared by every script: `num` reads a stored value, `keep` sets a counter's expiry.
const PRELUDE: &str = r"
local function num(x)
  if not x then return nil end
  if not string.match(x, '^%d+$') or string.len(x) > 16 then
    error({err = 'SSPRDATA a stored value is not a whole number'})
  end
  return tonumber(x)
end
local function keep(key, window_end, blocked, now, grace, forever)
  local last = math.max(window_end, blocked)
  if last >= forever then
    redis.call('PERSIST', key)
    return
  end
  local ttl = last - now + grace
  if ttl < 1 then ttl = 1 end
  redis.call('EXPIRE', key, string.format('%d', ttl))
end
";

fn script(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}{body}"))
}

/// Flow compare-and-set. KEYS: the flow. ARGV: data, expected version, expires at, now, TTL in
/// seconds (0: none). Returns 1 if stored, 0 on a version mismatch.
pub(crate) static FLOW_SAVE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local cur = redis.call('HMGET', KEYS[1], 'v', 'e', 'd')
local v, e = num(cur[1]), num(cur[2])
if (cur[1] or cur[3]) and not (cur[1] and cur[2] and cur[3]) then
  error({err = 'SSPRDATA a flow without its data, version or expiry'})
end
local expected, now = tonumber(ARGV[2]), tonumber(ARGV[4])
local live = v ~= nil and e ~= nil and e > now
local nextv
if expected == 0 then
  if live then return 0 end
  nextv = 1
elseif live and v == expected then
  nextv = v + 1
else
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', string.format('%d', nextv), 'e', ARGV[3])
local ttl = tonumber(ARGV[5])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ARGV[5]) end
return 1
",
    )
});

/// Security-info compare-and-set. KEYS: the record. ARGV: data, expected version. Returns 1
/// if stored, 0 on a version mismatch.
pub(crate) static INFO_SAVE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local v = num(redis.call('HGET', KEYS[1], 'v'))
local expected = tonumber(ARGV[2])
local nextv
if expected == 0 then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
  nextv = 1
elseif v == expected then
  nextv = v + 1
else
  return 0
end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', string.format('%d', nextv))
return 1
",
    )
});

/// Counter increment. KEYS: the counter. ARGV: now, the end of a window opened now, grace,
/// for ever. Returns {count, window end, blocked until (0: never)}.
pub(crate) static INCREMENT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local cur = redis.call('HMGET', KEYS[1], 'c', 'e', 'b')
local c, e, b = num(cur[1]) or 0, num(cur[2]) or 0, num(cur[3]) or 0
local now = tonumber(ARGV[1])
if now >= e then
  c = 1
  e = tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'c', '1', 's', ARGV[1], 'e', ARGV[2])
else
  if c < 4294967295 then c = c + 1 end
  redis.call('HSET', KEYS[1], 'c', string.format('%d', c))
end
keep(KEYS[1], e, b, now, tonumber(ARGV[3]), tonumber(ARGV[4]))
return {c, e, b}
",
    )
});

/// Counter release. KEYS: the counter. ARGV: now. Takes one back if the open window contains
/// now.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local cur = redis.call('HMGET', KEYS[1], 'c', 's', 'e')
local c, s, e = num(cur[1]), num(cur[2]), num(cur[3])
local now = tonumber(ARGV[1])
if c and s and e and c > 0 and s <= now and now < e then
  redis.call('HSET', KEYS[1], 'c', string.format('%d', c - 1))
end
return 1
",
    )
});

/// Counter block. KEYS: the counter. ARGV: until, now, grace, for ever. Returns the block's
/// end after the call.
pub(crate) static BLOCK: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local cur = redis.call('HMGET', KEYS[1], 'e', 'b')
local e, b = num(cur[1]) or 0, num(cur[2]) or 0
local untilv = tonumber(ARGV[1])
if untilv > b then
  b = untilv
  redis.call('HSET', KEYS[1], 'b', ARGV[1])
  keep(KEYS[1], e, b, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
end
return b
",
    )
});

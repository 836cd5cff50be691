/**
 * A {@link ReplayStore} in Redis, shared by every verifier that talks to the same server: one
 * Lua script per message does the whole check-and-record (the atomicity contract of
 * `ReplayStore`), so two processes can never both accept one delivery. The checks are
 * MemoryReplayStore's (RFC 9052 has no replay protection; the sequence window is RFC 4303
 * §3.4.3's sliding window, the ids are remembered until their retention ends).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { ArgumentError, ReplayError } from '@ward/core';
import type { ReplayEntry, ReplayStore, ReplayVerdict, ReplayWindowOptions } from '@ward/core';

/**
 * The one thing {@link RedisReplayStore} needs from a Redis client: send a command, given as
 * its words, and resolve with the raw reply (an array of strings for the store's script) or
 * reject with the server's error (a `NOSCRIPT` error's message must start with `NOSCRIPT`, as
 * every client's does). `@ward/node` depends on no Redis client; wrap the one you use.
 *
 * node-redis (`redis` on npm, v4 or later): `client.sendCommand(args)` is exactly this. Give it
 * `disableOfflineQueue: true` so commands fail at once while it is disconnected, instead of
 * waiting for the store's timeout.
 *
 * ioredis: `client.call(command, ...rest)`.
 *
 * A cluster client must route the command by its first key, `args[3]` (the words are
 * `EVALSHA sha 3 key1 key2 key3 …`); the store puts all three keys in one hash slot.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { Redis } from 'ioredis';
 * import type { RedisCommandClient } from '@ward/node';
 *
 * const nodeRedis = await createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true }).connect();
 * const fromNodeRedis: RedisCommandClient = { sendCommand: (args) => nodeRedis.sendCommand([...args]) };
 *
 * const ioredis = new Redis('redis://127.0.0.1:6379');
 * const fromIoredis: RedisCommandClient = { sendCommand: ([command, ...rest]) => ioredis.call(command!, ...rest) };
 * ```
 */
export interface RedisCommandClient {
  /**
   * Sends one command and resolves with its reply.
   *
   * @param args - the command name and its arguments, e.g. `['EVALSHA', sha, '3', …]`
   */
  sendCommand(args: readonly string[]): Promise<unknown>;
}

/** Options of {@link RedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /**
   * Prepended to every key the store writes; default `'ward:replay:'`. It may not contain `{`
   * or `}`: the store's own `{…}` hash tag must be the first one in each key.
   */
  readonly keyPrefix?: string;
  /**
   * Milliseconds one `record` call may take, both round trips (`EVALSHA` and, after a
   * `NOSCRIPT`, `EVAL`) together, before it rejects; an integer in 1..2^31 − 1, default 500.
   * A hung or disconnected client then costs one verification this long, and `checkReplay`
   * fails closed. The command may still run on the server after the timeout, which can only
   * make a later delivery of the same message a duplicate (fail closed again).
   */
  readonly timeoutMs?: number;
  /**
   * Ids kept per stream at most, as in `MemoryReplayStore`; default 4096. When a new id would
   * exceed it, expired ids are purged and then the ids that expire soonest are dropped (the
   * memory store drops the oldest recorded ones; with `issuedAt` in order they are the same).
   * A dropped id's message is then protected by the sequence window alone. An integer in 1..10^6.
   */
  readonly maxIdsPerStream?: number;
}

/** Decimal digits: `0` or no leading zero. */
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const LONE_SURROGATE = /\p{Cs}/u;
const DEFAULT_PREFIX = 'ward:replay:';
const DEFAULT_TIMEOUT_MS = 500;
const DEFAULT_MAX_IDS = 4096;
/** Largest sequence number handled: the script's decimal arithmetic is sized for 39 digits. */
const MAX_SEQUENCE = 2n ** 128n - 1n;
/** Largest window: the bitmap is at most 8 KiB (the same bound as `resolveReplayWindow`). */
const MAX_WINDOW = 65_536;
/** Latest id expiry accepted, in seconds: its milliseconds stay exact integers (< 2^53). */
const MAX_EXPIRY_SECONDS = 2 ** 43;
const MAX_ID_BYTES = 64;

/*
 * The check-and-record, as one Lua script so that Redis runs it atomically (scripts run one at a
 * time, nothing interleaves): ReplayStore's atomicity contract. It mirrors
 * MemoryReplayStore.record step by step, so both give the same verdict for the same history.
 *
 * KEYS (one hash tag, so one cluster slot): [1] state hash {h = highest sequence (decimal),
 * w = window size, x = the keys' expiry in ms}, [2] window bitmap (bit `s mod w` set when
 * sequence s inside the window was accepted), [3] id sorted set (member = id hex, score = the
 * id's expiry, issuedAt + idTtlSeconds, in seconds).
 * ARGV: [1] sequence (decimal, at most 39 digits), [2] id (hex), [3] expiry (s, the caller's
 * issuedAt + idTtlSeconds as JavaScript prints it), [4] window size, [5] max ids, [6] the
 * expiry of the keys if this message is accepted (ms, an integer).
 *
 * Sequence numbers stay decimal strings: Lua numbers are doubles, exact only below 2^53.
 * Comparison goes by length, then digit by digit (no strcoll); only differences below the
 * window size (<= 65536) are ever turned into numbers, and `s mod w` is computed digit by digit.
 * The clock is the server's (TIME), so a fleet agrees on expiry.
 *
 * Reply: {kind, highest?, extra?}, all strings; see parseReply.
 */
const SCRIPT = `
local stateKey, bitsKey, idsKey = KEYS[1], KEYS[2], KEYS[3]
local seq, id, expiryText, wText, keepText = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local expiry, w, maxIds, keepMs = tonumber(expiryText), tonumber(wText), tonumber(ARGV[5]), tonumber(keepText)

local function decimal(s)
  return type(s) == 'string' and #s <= 39 and (s == '0' or string.find(s, '^[1-9]%d*$') ~= nil)
end
local function int(n, lo, hi)
  return n ~= nil and n == math.floor(n) and n >= lo and n <= hi
end
if not decimal(seq) or not string.find(id, '^[0-9a-f]+$') or #id > 128 or expiry == nil or expiry ~= expiry
  or not int(w, 1, 65536) or not int(maxIds, 1, 1000000) or not int(keepMs, 0, 9007199254740991) then
  return redis.error_reply('ERR ward replay: malformed arguments')
end

local function cmp(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y and -1 or 1 end
  end
  return 0
end
-- a - b for decimal strings with a >= b
local function sub(a, b)
  local digits, borrow, la, lb = {}, 0, #a, #b
  for i = 0, la - 1 do
    local d = string.byte(a, la - i) - 48 - borrow
    if i < lb then d = d - (string.byte(b, lb - i) - 48) end
    if d < 0 then d, borrow = d + 10, 1 else borrow = 0 end
    digits[la - i] = d
  end
  local s = string.gsub(table.concat(digits), '^0+', '')
  if s == '' then return '0' end
  return s
end
-- s as a number when it is below limit (limit <= 65536), else nil
local function below(s, limit)
  if #s > 6 then return nil end
  local n = tonumber(s)
  if n < limit then return n end
  return nil
end
local function mod(s, m)
  local r = 0
  for i = 1, #s do r = (r * 10 + string.byte(s, i) - 48) % m end
  return r
end
-- clears bits lo .. hi - 1 of the window: SETBIT at the ragged ends, SETRANGE for whole bytes
local function clear(lo, hi)
  while lo < hi and lo % 8 ~= 0 do redis.call('SETBIT', bitsKey, lo, 0); lo = lo + 1 end
  while hi > lo and hi % 8 ~= 0 do hi = hi - 1; redis.call('SETBIT', bitsKey, hi, 0) end
  if hi > lo then redis.call('SETRANGE', bitsKey, lo / 8, string.rep(string.char(0), (hi - lo) / 8)) end
end
local function bitOf(str, b)
  local byte = string.byte(str, math.floor(b / 8) + 1) or 0
  return math.floor(byte / 2 ^ (7 - b % 8)) % 2 == 1
end

local t = redis.call('TIME')
local nowText = t[1] .. '.' .. string.rep('0', 6 - #t[2]) .. t[2]
local now = tonumber(nowText)

local state = redis.call('HMGET', stateKey, 'h', 'w', 'x')
local h, oldWText, keep = state[1], state[2], state[3]
if h and not (decimal(h) and int(tonumber(oldWText), 1, 65536) and int(tonumber(keep), 0, 9007199254740991)) then
  return redis.error_reply('ERR ward replay: corrupt stream state at ' .. stateKey)
end

if expiry <= now then
  if h then return {'expired', h} end
  return {'expired'}
end

-- records the id; ids expire by score, the soonest-expiring go first when the set is full
local function remember()
  redis.call('ZREMRANGEBYSCORE', idsKey, '-inf', nowText)
  if not redis.call('ZSCORE', idsKey, id) then
    local excess = redis.call('ZCARD', idsKey) - maxIds + 1
    if excess > 0 then redis.call('ZREMRANGEBYRANK', idsKey, 0, excess - 1) end
  end
  redis.call('ZADD', idsKey, expiryText, id)
end
local function expireAll(at)
  redis.call('PEXPIREAT', stateKey, at)
  redis.call('PEXPIREAT', bitsKey, at)
  redis.call('PEXPIREAT', idsKey, at)
end

if not h then
  -- No state (a new stream, or one whose keys expired): start it, dropping any leftovers.
  redis.call('DEL', bitsKey, idsKey)
  redis.call('SETBIT', bitsKey, mod(seq, w), 1)
  remember()
  redis.call('HSET', stateKey, 'h', seq, 'w', wText, 'x', keepText)
  expireAll(keepText)
  return {'first', seq}
end

local oldW = tonumber(oldWText)
if oldW ~= w then
  -- Re-lay the window as MemoryReplayStore's resize does: bits kept where both windows overlap,
  -- sequence numbers the old window did not cover count as seen (fail closed).
  local old = redis.call('GET', bitsKey) or ''
  local bytes, n, count = {}, math.ceil(w / 8), w
  for i = 1, n do bytes[i] = 0 end
  local hn = below(h, w)
  if hn then count = hn + 1 end
  local hOld, hNew = mod(h, oldW), mod(h, w)
  for behind = 0, count - 1 do
    if behind >= oldW or bitOf(old, (hOld - behind) % oldW) then
      local b = (hNew - behind) % w
      local i = math.floor(b / 8) + 1
      bytes[i] = bytes[i] + 2 ^ (7 - b % 8)
    end
  end
  for i = 1, n do bytes[i] = string.char(bytes[i]) end
  redis.call('SET', bitsKey, table.concat(bytes))
  redis.call('PEXPIREAT', bitsKey, keep)
  redis.call('HSET', stateKey, 'w', wText)
end

local seen = redis.call('ZSCORE', idsKey, id)
if seen and tonumber(seen) > now then return {'duplicate-id', h} end

local reply
if cmp(seq, h) > 0 then
  local advance = sub(seq, h)
  local a = below(advance, w)
  if a then
    local from = (mod(h, w) + 1) % w
    if from + a <= w then clear(from, from + a) else clear(from, w); clear(0, from + a - w) end
  else
    redis.call('DEL', bitsKey)
  end
  redis.call('HSET', stateKey, 'h', seq)
  if advance == '1' then reply = {'fresh', seq} else reply = {'gap', seq, advance} end
else
  local behind = sub(h, seq)
  if not below(behind, w) then return {'too-old-sequence', h} end
  if redis.call('GETBIT', bitsKey, mod(seq, w)) == 1 then return {'duplicate-sequence', h} end
  reply = {'out-of-order', h, behind}
end
redis.call('SETBIT', bitsKey, mod(seq, w), 1)
remember()
if tonumber(keepText) > tonumber(keep) then keep = keepText end
redis.call('HSET', stateKey, 'x', keep)
expireAll(keep)
return reply
`;

const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

function unavailable(message: string, cause?: unknown): ReplayError {
  return new ReplayError('ERR_REPLAY_STORE_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function replyWord(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  throw unavailable('Redis replay store: malformed reply (a non-string element)');
}

function decimal(word: string | undefined): bigint {
  if (word === undefined || word.length > 39 || !DECIMAL.test(word)) {
    throw unavailable('Redis replay store: malformed reply (not a decimal sequence number)');
  }
  return BigInt(word);
}

/**
 * Turns the script's reply into a verdict, checking that it fits the question asked: a reply
 * that is malformed or inconsistent with `sequence` and the window throws, never becomes a verdict.
 */
function parseReply(reply: unknown, sequence: bigint, windowSize: number): ReplayVerdict {
  if (!Array.isArray(reply) || reply.length === 0 || reply.length > 3) {
    throw unavailable('Redis replay store: malformed reply (not the script\'s array)');
  }
  const [kind, highestWord, extraWord] = reply.map(replyWord);
  const size = BigInt(windowSize);
  const bad = (): never => {
    throw unavailable(`Redis replay store: reply ${JSON.stringify(reply)} does not fit sequence ${sequence}`);
  };
  const words = (count: number): bigint => {
    if (reply.length !== count) bad();
    return decimal(highestWord);
  };
  switch (kind) {
    case 'first':
    case 'fresh': {
      const highest = words(2);
      if (highest !== sequence) bad();
      return { status: 'fresh', firstSeen: kind === 'first', highest };
    }
    case 'gap': {
      const highest = words(3);
      const advance = decimal(extraWord);
      if (highest !== sequence || advance < 2n || advance > sequence) bad();
      return { status: 'gap', missing: advance - 1n, highest };
    }
    case 'out-of-order': {
      const highest = words(3);
      const behind = decimal(extraWord);
      if (highest - sequence !== behind || behind < 1n || behind >= size) bad();
      return { status: 'out-of-order', behind, highest };
    }
    case 'duplicate-sequence': {
      const highest = words(2);
      if (highest < sequence || highest - sequence >= size) bad();
      return { status: 'duplicate', reason: 'sequence', highest };
    }
    case 'duplicate-id':
      return { status: 'duplicate', reason: 'id', highest: words(2) };
    case 'too-old-sequence': {
      const highest = words(2);
      if (highest - sequence < size) bad();
      return { status: 'too-old', reason: 'sequence', highest };
    }
    case 'expired':
      return reply.length === 1 ? { status: 'too-old', reason: 'expired' } : { status: 'too-old', reason: 'expired', highest: words(2) };
    default:
      return bad();
  }
}

function integerOption(value: number | undefined, fallback: number, max: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new ArgumentError(`${name} must be an integer in 1..${max}`);
  return v;
}

/**
 * A {@link ReplayStore} in Redis, so that a fleet of verifiers shares one anti-replay window per
 * stream. It behaves as `MemoryReplayStore` does (the same verdicts for the same sequence of
 * messages: a ring bitmap of `windowSize` sequence numbers below the highest, ids remembered
 * until `issuedAt + idTtlSeconds`, a grown window failing closed), with Redis's clock.
 *
 * **One round trip, atomic.** Each {@link RedisReplayStore.record} runs one Lua script with
 * `EVALSHA` (after a `NOSCRIPT` reply, once with `EVAL`, which caches it on the server), as the
 * `ReplayStore` atomicity contract asks. Redis needs Lua scripting and `TIME` in scripts
 * (Redis 5 or later; tested with Redis 7).
 *
 * **Keys.** Per stream three keys under one hash tag, the SHA-256 hex of the stream key (so any
 * issuer string is safe and all three share a cluster slot):
 * `<prefix>{<sha256>}:state` (a hash: highest sequence number, window size, expiry),
 * `<prefix>{<sha256>}:window` (the window bitmap, at most 8 KiB) and `<prefix>{<sha256>}:ids`
 * (a sorted set of id hex scored by expiry, at most `maxIdsPerStream` members).
 *
 * **Memory stays bounded: idle streams expire.** All three keys expire 1 ms after the latest
 * `issuedAt + idTtlSeconds` of the stream's accepted messages, i.e. about `idTtlSeconds` after a
 * producer goes quiet. That never opens a replay: by then every message the stream accepted is
 * refused as `too-old` (`expired`) anyway, and the stream's next new message is `fresh` with
 * `firstSeen: true`. Run the replay database with `maxmemory-policy noeviction` (or a `volatile-*`
 * policy only if you accept that an evicted stream starts over as `firstSeen`, as the memory
 * store's eviction does).
 *
 * **Supported range.** Sequence numbers 0..2^128 − 1 (sealed envelopes carry at most 2^64 − 1);
 * window sizes 1..65536; ids 1..64 bytes; `issuedAt + idTtlSeconds` below 2^43 seconds. Anything
 * outside is refused with an `ArgumentError` rather than answered wrongly (and `checkReplay` then
 * fails closed).
 *
 * **Failures reject.** A client error, a timeout (`timeoutMs`) or a reply that is not what the
 * script returns rejects with a `ReplayError` `ERR_REPLAY_STORE_UNAVAILABLE` (the cause
 * attached); `checkReplay` then refuses the message unless `onStoreFailure: 'accept'`.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { verifyEnvelope } from '@ward/core';
 * import { checkReplay } from '@ward/core/replay';
 * import { RedisReplayStore } from '@ward/node';
 *
 * const redis = await createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true }).connect();
 * const store = new RedisReplayStore({ sendCommand: (args) => redis.sendCommand([...args]) });
 *
 * const facts = await verifyEnvelope(envelope, { backend, trust });
 * const check = await checkReplay(facts, { store }); // throws ReplayError on a replay or when Redis is down
 * ```
 */
export class RedisReplayStore implements ReplayStore {
  /** The largest sequence number the store handles, 2^128 − 1; larger ones are refused. */
  static readonly maxSequence: bigint = MAX_SEQUENCE;

  readonly #client: RedisCommandClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #maxIds: number;

  /**
   * @param client - sends commands to Redis; see {@link RedisCommandClient}
   * @param options - key prefix, timeout and id bound; see {@link RedisReplayStoreOptions}
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` when the client has no `sendCommand` or an option is out of range
   */
  constructor(client: RedisCommandClient, options: RedisReplayStoreOptions = {}) {
    if (typeof client !== 'object' || client === null || typeof client.sendCommand !== 'function') {
      throw new ArgumentError('client must have a sendCommand(args) method');
    }
    if (typeof options !== 'object' || options === null) throw new ArgumentError('new RedisReplayStore() options must be an object');
    const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || prefix.length > 256 || /[{}]/.test(prefix) || LONE_SURROGATE.test(prefix)) {
      throw new ArgumentError('keyPrefix must be a well-formed string of at most 256 characters without { or }');
    }
    this.#client = client;
    this.#prefix = prefix;
    this.#timeoutMs = integerOption(options.timeoutMs, DEFAULT_TIMEOUT_MS, 2 ** 31 - 1, 'timeoutMs');
    this.#maxIds = integerOption(options.maxIdsPerStream, DEFAULT_MAX_IDS, 1_000_000, 'maxIdsPerStream');
  }

  /**
   * Atomically checks `entry` against `stream`'s state in Redis and records it if acceptable,
   * in one script run (see {@link RedisReplayStore}).
   *
   * @param stream - the stream key, normally from `replayStreamKey`
   * @param entry - sequence number, id and issuedAt of the message
   * @param window - window size and id retention
   * @returns the verdict; `duplicate` and `too-old` leave the state unchanged
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` when the entry or window is malformed or out of the supported range
   * @throws ReplayError `ERR_REPLAY_STORE_UNAVAILABLE` when Redis fails, times out or replies nonsense
   * @example
   * ```ts
   * const window = { windowSize: 64, idTtlSeconds: 3600 };
   * const entry = { sequence: 1n, id: new Uint8Array([1]), issuedAt: Date.now() / 1000 };
   * await store.record('1:a1:b', entry, window); // { status: 'fresh', firstSeen: true, highest: 1n }
   * await store.record('1:a1:b', entry, window); // { status: 'duplicate', reason: 'sequence', highest: 1n }
   * ```
   */
  async record(stream: string, entry: ReplayEntry, window: ReplayWindowOptions): Promise<ReplayVerdict> {
    const { sequence, id, issuedAt } = entry;
    const { windowSize, idTtlSeconds } = window;
    if (typeof stream !== 'string' || LONE_SURROGATE.test(stream)) throw new ArgumentError('stream must be a well-formed string');
    if (typeof sequence !== 'bigint' || sequence < 0n) throw new ArgumentError('sequence must be a non-negative bigint');
    if (sequence > MAX_SEQUENCE) throw new ArgumentError('sequence is above 2^128 - 1, the largest the Redis replay store handles');
    if (!(id instanceof Uint8Array) || id.length === 0 || id.length > MAX_ID_BYTES) throw new ArgumentError('id must be 1..64 bytes');
    if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) throw new ArgumentError('issuedAt must be a finite number');
    if (!Number.isSafeInteger(windowSize) || windowSize < 1 || windowSize > MAX_WINDOW) {
      throw new ArgumentError(`windowSize must be an integer in 1..${MAX_WINDOW}`);
    }
    if (typeof idTtlSeconds !== 'number' || !(idTtlSeconds > 0)) throw new ArgumentError('idTtlSeconds must be positive');
    // The same sum as MemoryReplayStore's, so both stores compare the same double with their clock.
    const expiry = issuedAt + idTtlSeconds;
    if (!(expiry < MAX_EXPIRY_SECONDS)) throw new ArgumentError('issuedAt + idTtlSeconds must be below 2^43 seconds');
    const keepUntilMs = Math.max(0, Math.ceil(expiry * 1000) + 1);

    const tag = `${this.#prefix}{${createHash('sha256').update(stream, 'utf8').digest('hex')}}`;
    const keysAndArgs = [
      '3', `${tag}:state`, `${tag}:window`, `${tag}:ids`,
      sequence.toString(), Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex'), String(expiry),
      String(windowSize), String(this.#maxIds), String(keepUntilMs),
    ];
    const reply = await this.#withTimeout(async () => {
      try {
        return await this.#client.sendCommand(['EVALSHA', SCRIPT_SHA, ...keysAndArgs]);
      } catch (error) {
        // NOSCRIPT: the script did not run (nothing changed), so running it in full is safe.
        if (!isNoScript(error)) throw error;
        return this.#client.sendCommand(['EVAL', SCRIPT, ...keysAndArgs]);
      }
    });
    return parseReply(reply, sequence, windowSize);
  }

  /** Runs `work`, rejecting with ERR_REPLAY_STORE_UNAVAILABLE when it fails or outlasts the timeout. */
  async #withTimeout(work: () => Promise<unknown>): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`Redis replay store: no reply within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      // Promise.race subscribes to `work`, so its late rejection after a timeout is handled.
      return await Promise.race([work(), timeout]);
    } catch (error) {
      if (ReplayError.isInstance(error)) throw error;
      throw unavailable('Redis replay store: the Redis command failed', error);
    } finally {
      clearTimeout(timer);
    }
  }
}

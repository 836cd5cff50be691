/*
 * Host builtins for OPA's wasm target: the Rego builtins a compiled policy calls out for
 * (`opa_builtinN` imports, named by the module's `builtins()` export) that opa-wasm 1.10 does
 * not implement. Each follows OPA's Go implementation (v1/topdown/time.go at OPA v1.22.2),
 * errors included, and is checked against `opa eval` on generated inputs (builtins.test.ts).
 *
 * A builtin error is what OPA's evaluator does with it without `--strict-builtin-errors`: the
 * call is undefined (the wasm ABI's null result), so the rule body that called it fails and an
 * `else` branch or a `default` value applies. policies/README.md, section "Builtins", says what
 * that means for a policy author.
 *
 * Time zones come from ECMA-402 (`Intl.DateTimeFormat`), never from the platform: core imports
 * nothing. A runtime without Intl makes every named zone a builtin error; "" and "UTC" need no
 * Intl. "Local" is a builtin error in Ward: a decision must not depend on the host's zone.
 */
import { PolicyError } from '../../errors.js';

/** A host builtin as opa-wasm calls it: JSON values in (as `JSON.parse` gives them), a JSON value out. */
export type PolicyBuiltin = (...args: unknown[]) => unknown;

/**
 * The host builtins opa-wasm 1.10 implements itself (its `src/builtins/`); opa-wasm looks
 * these up before Ward's, so Ward never provides them.
 */
export const OPA_WASM_HOST_BUILTINS: readonly string[] = Object.freeze(['json.is_valid', 'regex.split', 'sprintf', 'yaml.is_valid', 'yaml.marshal', 'yaml.unmarshal']);

/** What a builtin implementation returns: a JSON value, with nanosecond timestamps as bigint. */
type Result = boolean | number | bigint | string | readonly (number | string)[];

/* Builtin failures, told apart from bugs: only these become an undefined call; anything else propagates. */
const failures = new WeakSet<object>();

function failure(message: string): PolicyError {
  const error = new PolicyError('ERR_POLICY_EVALUATION', message);
  failures.add(error);
  return error;
}

/** Whether `error` is a builtin error (an undefined call in Rego), not a failure of Ward's own. */
export function isBuiltinError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && failures.has(error);
}

// ---- numbers ----------------------------------------------------------------------------------

const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;
const NS = 1_000_000_000n;

/* OPA's builtins.NumberOperand then big.Float.Int64 with an exact check: an integral int64 or "timestamp too big". */
function nanos(value: unknown, name: string): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'number') throw failure(`${name}: timestamp too big`);
  else throw failure(`${name}: operand 1 must be one of {number, array} but got ${typeName(value)}`);
  if (n < MIN_I64 || n > MAX_I64) throw failure(`${name}: timestamp too big`);
  return n;
}

/* OPA's builtins.IntOperand: an integral number (Go int, 64 bits). */
function integer(value: unknown, position: number, name: string): number {
  if (typeof value !== 'number' && typeof value !== 'bigint') throw failure(`${name}: operand ${position} must be number but got ${typeName(value)}`);
  if (typeof value === 'bigint' ? value < MIN_I64 || value > MAX_I64 : !Number.isSafeInteger(value)) {
    throw failure(`${name}: operand ${position} must be integer number but got floating-point number`);
  }
  return Number(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'bigint') return 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

/* toSafeUnixNano: OPA refuses instants outside int64 nanoseconds. */
function safeNanos(ns: bigint, name: string): bigint {
  if (ns < MIN_I64 || ns > MAX_I64) throw failure(`${name}: time outside of valid range`);
  return ns;
}

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

// ---- the proleptic Gregorian calendar (Go's time package uses it for every year) ---------------

/* Days from 1970-01-01 to y-m-d (H. Hinnant's days_from_civil); m is 1..12. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (m: number, y: number): number => (m === 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!);

// ---- time zones -------------------------------------------------------------------------------

/** A zone: the UTC offset in seconds at a UTC instant in seconds. */
type Zone = (utcSeconds: number) => number;

const UTC: Zone = () => 0;
const MAX_ZONES = 64;
const zones = new Map<string, Zone>();

/*
 * Intl formats instants within ±8.64e15 ms; Ward asks only for instants near the int64
 * nanosecond range (years 1677-2262), and treats wall times far outside it as out of range
 * before any lookup.
 */
function intlZone(name: string, builtin: string): Zone {
  const cached = zones.get(name);
  if (cached !== undefined) return cached;
  /* ECMA-402 is optional in ECMAScript: without it a named zone is an error, never UTC in disguise. */
  if (typeof Intl !== 'object' || typeof Intl.DateTimeFormat !== 'function') {
    throw failure(`${builtin}: time zone ${name}: this runtime has no Intl.DateTimeFormat (ECMA-402)`);
  }
  /* Go's LoadLocation knows IANA names only: no UTC offsets ("+01:00", which Intl accepts), exact case. */
  if (!/^[A-Za-z]/.test(name)) throw failure(`${builtin}: unknown time zone ${name}`);
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name, hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    throw failure(`${builtin}: unknown time zone ${name}`);
  }
  const resolved = format.resolvedOptions().timeZone;
  /* Intl matches names case-insensitively; Go (and the IANA database on disk) does not. */
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) throw failure(`${builtin}: unknown time zone ${name}`);
  const zone: Zone = (utcSeconds) => {
    const parts: Record<string, string> = {};
    for (const part of format.formatToParts(new Date(utcSeconds * 1000))) parts[part.type] = part.value;
    const year = parts.era === 'BC' || parts.era === 'B' ? 1 - Number(parts.year) : Number(parts.year);
    const wall = daysFromCivil(year, Number(parts.month), Number(parts.day)) * 86400 + Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
    return wall - utcSeconds;
  };
  if (zones.size >= MAX_ZONES) zones.clear();
  zones.set(name, zone);
  return zone;
}

function zoneOf(name: string, builtin: string): Zone {
  switch (name) {
    case '':
    case 'UTC':
      return UTC;
    case 'Local':
      /* OPA uses the host's zone; a Ward decision must not depend on the machine that makes it. */
      throw failure(`${builtin}: time zone Local is not supported (name an IANA zone)`);
    default:
      return intlZone(name, builtin);
  }
}

/* OPA's tzTime: a number of ns, or [ns, tz?, layout?] (more elements are ignored). */
function zonedTime(value: unknown, builtin: string): { ns: bigint; zone: Zone } {
  if (typeof value === 'number' || typeof value === 'bigint') return { ns: nanos(value, builtin), zone: UTC };
  if (!Array.isArray(value) || value.length === 0) {
    throw failure(`${builtin}: operand 1 must be either number (ns) or [number (ns), string (tz)] but got ${typeName(value)}`);
  }
  const items = value as unknown[];
  if (typeof items[0] !== 'number' && typeof items[0] !== 'bigint') throw failure(`${builtin}: operand 1 must be number but got ${typeName(items[0])}`);
  let zone = UTC;
  if (items.length > 1) {
    if (typeof items[1] !== 'string') throw failure(`${builtin}: operand 1 must be string but got ${typeName(items[1])}`);
    zone = zoneOf(items[1], builtin);
  }
  if (items.length > 2 && typeof items[2] !== 'string') throw failure(`${builtin}: operand 1 must be string but got ${typeName(items[2])}`);
  return { ns: nanos(items[0], builtin), zone };
}

/** Wall-clock fields of an instant in a zone. */
interface Wall {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly nanosecond: number;
  readonly days: number;
}

function wallOf(ns: bigint, zone: Zone): Wall {
  const seconds = Number(floorDiv(ns, NS));
  const nanosecond = Number(ns - floorDiv(ns, NS) * NS);
  const local = seconds + zone(seconds);
  const days = Math.floor(local / 86400);
  const rest = local - days * 86400;
  const [year, month, day] = civilFromDays(days);
  return { year, month, day, hour: Math.floor(rest / 3600), minute: Math.floor((rest % 3600) / 60), second: rest % 60, nanosecond, days };
}

/* Go's time.Date: normalise the fields, then find the offset as Go does (lookup at the wall time read as UTC, then once more at the result). */
function fromWall(year: number, month: number, day: number, hour: number, minute: number, second: number, nanosecond: number, zone: Zone, builtin: string): bigint {
  const m0 = month - 1;
  const y = year + Math.floor(m0 / 12);
  const m = m0 - Math.floor(m0 / 12) * 12 + 1;
  /* Far beyond the int64 range (years 1677-2262): no zone lookup, the answer is out of range. */
  if (!Number.isSafeInteger(y) || Math.abs(y - 1970) > 10_000 || !Number.isSafeInteger(day) || Math.abs(day) > 4_000_000) {
    throw failure(`${builtin}: time outside of valid range`);
  }
  const wall = (daysFromCivil(y, m, 1) + day - 1) * 86400 + hour * 3600 + minute * 60 + second;
  const offset = zone(wall);
  const utc = offset === 0 ? wall : wall - zone(wall - offset);
  return safeNanos(BigInt(utc) * NS + BigInt(nanosecond), builtin);
}

// ---- the builtins -----------------------------------------------------------------------------

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

function clock(value: unknown): Result {
  const wall = wallOf(...args(zonedTime(value, 'time.clock')));
  return [wall.hour, wall.minute, wall.second];
}

function date(value: unknown): Result {
  const wall = wallOf(...args(zonedTime(value, 'time.date')));
  return [wall.year, wall.month, wall.day];
}

function weekday(value: unknown): Result {
  const wall = wallOf(...args(zonedTime(value, 'time.weekday')));
  return WEEKDAYS[(((wall.days + 4) % 7) + 7) % 7]!;
}

function addDate(value: unknown, years: unknown, months: unknown, days: unknown): Result {
  const { ns, zone } = zonedTime(value, 'time.add_date');
  const y = integer(years, 2, 'time.add_date');
  const m = integer(months, 3, 'time.add_date');
  const d = integer(days, 4, 'time.add_date');
  const wall = wallOf(ns, zone);
  return fromWall(wall.year + y, wall.month + m, wall.day + d, wall.hour, wall.minute, wall.second, wall.nanosecond, zone, 'time.add_date');
}

const args = (t: { ns: bigint; zone: Zone }): [bigint, Zone] => [t.ns, t.zone];

const digit = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/*
 * Go's time.Parse(time.RFC3339, s), which OPA calls: its strict fast path, and where that
 * fails the general layout parser, which also accepts a one-digit hour, a comma before the
 * fraction, and zone offsets up to +24:00 / 60 minutes. Fractions beyond 9 digits are cut.
 */
function parseRfc3339(value: unknown): Result {
  const name = 'time.parse_rfc3339_ns';
  if (typeof value !== 'string') throw failure(`${name}: operand 1 must be string but got ${typeName(value)}`);
  const bad = (): PolicyError => failure(`${name}: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  let s = value;
  const take = (n: number): string => {
    const head = s.slice(0, n);
    s = s.slice(n);
    return head;
  };
  const fixed = (n: number): number => {
    for (let i = 0; i < n; i++) if (!digit(s, i)) throw bad();
    return Number(take(n));
  };
  const literal = (c: string): void => {
    if (s[0] !== c) throw bad();
    take(1);
  };
  const year = fixed(4);
  literal('-');
  const month = fixed(2);
  if (month < 1 || month > 12) throw bad();
  literal('-');
  const day = fixed(2);
  literal('T');
  if (!digit(s, 0)) throw bad();
  const hour = digit(s, 1) ? fixed(2) : fixed(1);
  if (hour >= 24) throw bad();
  literal(':');
  const minute = fixed(2);
  if (minute >= 60) throw bad();
  literal(':');
  const second = fixed(2);
  if (second >= 60) throw bad();
  let nanosecond = 0;
  if ((s[0] === '.' || s[0] === ',') && digit(s, 1)) {
    let n = 1;
    while (digit(s, n)) n++;
    const digits = take(n).slice(1, 10);
    nanosecond = Number(digits.padEnd(9, '0'));
  }
  let offset = 0;
  if (s[0] === 'Z') {
    take(1);
  } else {
    if (s.length < 6 || s[3] !== ':' || (s[0] !== '+' && s[0] !== '-')) throw bad();
    const sign = take(1);
    const hh = fixed(2);
    take(1);
    const mm = fixed(2);
    if (hh > 24 || mm > 60) throw bad();
    offset = (sign === '-' ? -1 : 1) * (hh * 60 + mm) * 60;
  }
  if (s.length !== 0) throw bad();
  if (day < 1 || day > daysIn(month, year)) throw bad();
  const wall = (daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) - offset;
  return safeNanos(BigInt(wall) * NS + BigInt(nanosecond), name);
}

/**
 * The host builtins Ward implements, as pure functions: arguments as JSON values (integers
 * may be bigint), nanosecond results as bigint; a builtin error throws (see
 * {@link isBuiltinError}). `time.now_ns` is not here: it reads the input (see
 * {@link createPolicyBuiltins}).
 */
export const WARD_BUILTIN_IMPLEMENTATIONS: Readonly<Record<string, (...args: unknown[]) => Result>> = Object.freeze({
  'time.clock': clock,
  'time.date': date,
  'time.weekday': weekday,
  'time.add_date': addDate as (...args: unknown[]) => Result,
  'time.parse_rfc3339_ns': parseRfc3339,
});

/** Every host builtin Ward provides: {@link WARD_BUILTIN_IMPLEMENTATIONS} and `time.now_ns`. */
export const WARD_BUILTINS: readonly string[] = Object.freeze([...Object.keys(WARD_BUILTIN_IMPLEMENTATIONS), 'time.now_ns'].sort());

/* JSON.stringify (opa-wasm writes results with it) cannot write a bigint: a number when exact, else raw JSON text where the runtime has it (ES2025), else the nearest double. */
const rawJson = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;
function jsonValue(result: Result): unknown {
  if (typeof result !== 'bigint') return result;
  const n = Number(result);
  if (BigInt(n) === result) return n;
  return rawJson === undefined ? n : rawJson(result.toString());
}

/**
 * The host builtins for one policy instance, as opa-wasm's `customBuiltins` map. A builtin
 * error returns `undefined`, which opa-wasm hands to the wasm as the null result: the call is
 * undefined, as in `opa eval` without `--strict-builtin-errors`. Any other failure throws.
 *
 * `time.now_ns` is the evaluation's `environment.time` (seconds) in nanoseconds, read through
 * `now` at each call: deterministic, so a cached decision stays right. Without a time (or
 * beyond 2262) it is a builtin error.
 *
 * @param now - returns the current evaluation's `environment.time` in seconds, if any
 * @returns the map of builtin name to function
 * @example
 * ```ts
 * let time: number | undefined;
 * const builtins = createPolicyBuiltins(() => time);
 * time = 1_900_000_000;
 * builtins['time.now_ns']!(); // 1900000000000000000
 * ```
 */
export function createPolicyBuiltins(now: () => number | undefined): Readonly<Record<string, PolicyBuiltin>> {
  const map: Record<string, PolicyBuiltin> = {};
  const guard = (impl: (...args: unknown[]) => Result): PolicyBuiltin => (...values: unknown[]) => {
    try {
      return jsonValue(impl(...values));
    } catch (error) {
      /* A builtin error is an undefined call (OPA's non-strict semantics); a bug of Ward's fails the evaluation. */
      if (isBuiltinError(error)) return undefined;
      throw error;
    }
  };
  for (const [name, impl] of Object.entries(WARD_BUILTIN_IMPLEMENTATIONS)) map[name] = guard(impl);
  map['time.now_ns'] = guard(() => {
    const seconds = now();
    if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds)) throw failure('time.now_ns: the input has no environment.time');
    return safeNanos(BigInt(seconds) * NS, 'time.now_ns');
  });
  return Object.freeze(map);
}

/**
 * The host builtins a module needs that neither opa-wasm nor Ward implements.
 *
 * @param required - the names the module's `builtins()` export lists
 * @returns the missing names, sorted
 * @example
 * ```ts
 * missingBuiltins(['time.weekday', 'http.send']); // ['http.send']
 * ```
 */
export function missingBuiltins(required: Iterable<string>): string[] {
  const provided = new Set([...OPA_WASM_HOST_BUILTINS, ...WARD_BUILTINS]);
  return [...new Set(required)].filter((name) => !provided.has(name)).sort();
}

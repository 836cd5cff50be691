/*
 * Public conformance vectors for the CBOR codec:
 *
 * - cbor-wg/cbor-test-vectors (`cbor-wg-test-vectors/`): RFC 8949 Appendix A, the good and bad
 *   edge cases of tests/rfc8949, and the 1,165 serialization cases of tests/spike;
 * - the CDE example table of draft-ietf-cbor-cde (`cbor-cde-examples/`).
 *
 * Files are read at collection time, so every test name carries its counts, and every
 * disagreement is collected so one run lists them all. The cbor-wg files are themselves CBOR
 * and are read with the decoder under test (its output is then checked case by case).
 *
 * Each good case is checked for: decoding to the expected value; re-encoding byte for byte
 * when the vector says it round-trips; and the invariant that `requireDeterministic` accepts
 * exactly the inputs that `encodeCbor` reproduces. Where Ward's data model differs from the
 * vectors' (generic) one, the case is counted under a stated reason, never skipped silently:
 *
 * - an integral float (f9 3c 00 is 1.0) decodes to a JS number, which re-encodes as an integer;
 * - a NaN payload is not kept (one NaN, written f9 7e 00);
 * - a map key −0.0 becomes +0: a JS Map key is normalized that way (so it re-encodes as 0);
 * - tags are opaque, so a well-formed tag around a content that its definition forbids (tag 1
 *   around a map) is accepted;
 * - bignums stay CborTag(2 or 3, bytes): where a vector decodes them to integers
 *   (`collapseBigInts`), the test converts Ward's tags before comparing.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { vectorUrl } from '../../test-kit/vectors-dir.js';
import { DecodeError } from '../errors.js';
import { CborTag, type CborValue } from './data-model.js';
import { decodeCbor } from './decode.js';
import { encodeCbor } from './encode.js';
import { encodeFloat } from './float.js';

/* ------------------------------------------------------------------------------------------ */
/* Loading                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** One vector file's bytes (path inside the vectors directory: WARD_VECTORS_DIR, else the repository's vectors/). */
function readVector(path: string): Uint8Array {
  return new Uint8Array(readFileSync(vectorUrl(path)));
}

/** The vector files are large and deep (one nests 509 arrays): read them with raised limits. */
const FILE_LIMITS = { maxDepth: 1024, maxArrayEntries: Infinity, maxMapEntries: Infinity, maxItems: Infinity };
/** Each case is decoded with the default limits except depth (the deeply nested cases). */
const CASE_LIMITS = { maxDepth: 1024 };

interface VectorCase {
  readonly description: string;
  readonly encoded: Uint8Array;
  readonly decoded?: CborValue;
  readonly hasDecoded: boolean;
  readonly roundtrip: boolean;
  readonly fail: boolean;
}

interface VectorFile {
  readonly title: string;
  readonly collapseBigInts: boolean;
  readonly cases: VectorCase[];
}

function field(map: Map<CborValue, CborValue>, name: string): CborValue {
  return map.get(name);
}

function loadCborWg(path: string): VectorFile {
  const root = decodeCbor(readVector(`cbor-wg-test-vectors/tests/${path}`), FILE_LIMITS) as Map<CborValue, CborValue>;
  const fileFail = field(root, 'fail') === true;
  const decodeOptions = field(root, 'decodeOptions');
  const collapseBigInts = decodeOptions instanceof Map && decodeOptions.get('collapseBigInts') === true;
  const cases = (field(root, 'tests') as Map<CborValue, CborValue>[]).map((test) => ({
    description: String(field(test, 'description')),
    encoded: field(test, 'encoded') as Uint8Array,
    decoded: field(test, 'decoded'),
    hasDecoded: test.has('decoded'),
    roundtrip: field(test, 'roundtrip') !== false,
    fail: fileFail || field(test, 'fail') === true,
  }));
  return { title: String(field(root, 'title')), collapseBigInts, cases };
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** A bignum tag (RFC 8949 §3.4.3) as the integer it stands for, normalized like the decoder's integers. */
function bignumValue(tag: CborTag): number | bigint | undefined {
  if ((tag.tag !== 2 && tag.tag !== 3) || !(tag.value instanceof Uint8Array)) return undefined;
  let n = 0n;
  for (const byte of tag.value) n = (n << 8n) | BigInt(byte);
  const value = tag.tag === 2 ? n : -1n - n;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** The vectors' `collapseBigInts` decode option, applied to a value Ward decoded. */
function collapseBigInts(value: CborValue): CborValue {
  if (value instanceof CborTag) return bignumValue(value) ?? new CborTag(value.tag, collapseBigInts(value.value));
  if (Array.isArray(value)) return value.map(collapseBigInts);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [collapseBigInts(k), collapseBigInts(v)]));
  return value;
}

function decodeError(run: () => unknown): DecodeError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (DecodeError.isInstance(error)) return error;
    throw error;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Classification                                                                              */
/* ------------------------------------------------------------------------------------------ */

const REASON_INTEGRAL_FLOAT = 'integral float decodes to a JS number and re-encodes as an integer';
const REASON_NAN_PAYLOAD = 'NaN payload not kept (Ward has one NaN, f9 7e 00)';
const REASON_NEGATIVE_ZERO_KEY = 'map key -0.0 is +0 in a JS Map and re-encodes as 0';
const REASON_BIGNUM = 'bignum not in preferred serialization: encodeCbor refuses it (ERR_CBOR_UNSUPPORTED), requireDeterministic rejects it';
const REASON_OPAQUE_TAG = 'well-formed, only the tag content is invalid (tags are opaque: accepted)';

/** True when `value` holds a tag 2/3 bignum with a leading zero byte or a value below 2^64 (RFC 8949 §3.4.3). */
function hasNonPreferredBignum(value: CborValue): boolean {
  if (value instanceof CborTag) {
    const bytes = value.value;
    if ((value.tag === 2 || value.tag === 3) && bytes instanceof Uint8Array && (bytes.length <= 8 || bytes[0] === 0)) return true;
    return hasNonPreferredBignum(bytes);
  }
  if (Array.isArray(value)) return value.some(hasNonPreferredBignum);
  if (value instanceof Map) return [...value].some(([k, v]) => hasNonPreferredBignum(k) || hasNonPreferredBignum(v));
  return false;
}

/** Why `encodeCbor(decodeCbor(encoded))` cannot give `encoded` back, for a data-model reason; undefined if it should. */
function dataModelLoss(encoded: Uint8Array, value: CborValue): string | undefined {
  const initial = encoded[0] as number;
  if (initial < 0xf9 || initial > 0xfb || typeof value !== 'number') return undefined;
  // the quiet NaN without payload, in half, single or double precision
  if (Number.isNaN(value)) return ['f97e00', 'fa7fc00000', 'fb7ff8000000000000'].includes(hex(encoded)) ? undefined : REASON_NAN_PAYLOAD;
  return Number.isSafeInteger(value) && !Object.is(value, -0) ? REASON_INTEGRAL_FLOAT : undefined;
}

/**
 * Whether input that does not round-trip for data-model reason `loss` is still deterministic
 * (RFC 8949 §4.2.1): an integral float in its shortest float form, or the map with key −0.0.
 */
function isDeterministicDespiteLoss(encoded: Uint8Array, value: CborValue, loss: string | undefined): boolean {
  if (loss === REASON_INTEGRAL_FLOAT) return hex(encodeFloat(value as number)) === hex(encoded);
  return loss === REASON_NEGATIVE_ZERO_KEY;
}

class Tally {
  decoded = 0;
  reencoded = 0;
  /** Cases marked `roundtrip: false` (not preferred, or indefinite) that re-encode to their preferred form. */
  preferred = 0;
  deterministic = 0;
  notDeterministic = 0;
  rejected = 0;
  readonly notApplicable = new Map<string, number>();
  readonly failures: string[] = [];

  note(reason: string): void {
    this.notApplicable.set(reason, (this.notApplicable.get(reason) ?? 0) + 1);
  }

  get notApplicableCount(): number {
    let n = 0;
    for (const count of this.notApplicable.values()) n += count;
    return n;
  }

  reasons(): string {
    return [...this.notApplicable].map(([reason, n]) => `${n} ${reason}`).join('; ');
  }
}

/** Known exceptions among must-fail cases: described by the vector, with Ward's reason. */
const ACCEPTED_BAD_CASES = new Map([
  ['date: unexpected object instead of offset', REASON_OPAQUE_TAG],
  ['date: unexpected object instead of string', REASON_OPAQUE_TAG],
]);
/** Known data-model losses that dataModelLoss cannot see (it looks at top-level floats only). */
const LOSSY_GOOD_CASES = new Map([['Map: -0 key', REASON_NEGATIVE_ZERO_KEY]]);

/**
 * Checks one must-succeed case; `label` is the spike's serialization label (`DLO` = valid but
 * not preferred, `DLO/PS/CDE/LDE` = deterministic).
 */
function checkGood(file: VectorFile, test: VectorCase, tally: Tally, label?: string): void {
  const name = `${file.title}: ${test.description} (${hex(test.encoded).slice(0, 40)})`;
  let value: CborValue;
  try {
    value = decodeCbor(test.encoded, CASE_LIMITS);
  } catch (error) {
    tally.failures.push(`${name}: decode threw ${String(error)}`);
    return;
  }
  tally.decoded++;
  const actual = file.collapseBigInts ? collapseBigInts(value) : value;
  const expected = file.collapseBigInts && test.decoded !== undefined ? collapseBigInts(test.decoded) : test.decoded;
  if (test.hasDecoded && !isDeepStrictEqual(actual, expected)) {
    tally.failures.push(`${name}: decoded to a different value`);
  }

  let loss = dataModelLoss(test.encoded, value) ?? LOSSY_GOOD_CASES.get(test.description);
  let identical = false;
  const refused = decodeError(() => {
    const reencoded = encodeCbor(value);
    identical = hex(reencoded) === hex(test.encoded);
    if (!identical && loss === undefined && test.roundtrip) tally.failures.push(`${name}: re-encoded as ${hex(reencoded)}`);
  });
  if (refused !== undefined) {
    if (refused.code === 'ERR_CBOR_UNSUPPORTED' && hasNonPreferredBignum(value)) loss = REASON_BIGNUM;
    else tally.failures.push(`${name}: encodeCbor threw ${refused.code} ${refused.message}`);
  }
  if (identical) tally.reencoded++;
  else if (loss !== undefined) tally.note(loss);
  else if (!test.roundtrip && refused === undefined) tally.preferred++;

  // requireDeterministic accepts exactly what encodeCbor reproduces (modulo the data model)
  const strict = decodeError(() => decodeCbor(test.encoded, { ...CASE_LIMITS, requireDeterministic: true }));
  if (strict === undefined) tally.deterministic++;
  else tally.notDeterministic++;
  const expectDeterministic = identical || isDeterministicDespiteLoss(test.encoded, value, loss);
  if ((strict === undefined) !== expectDeterministic) {
    tally.failures.push(`${name}: requireDeterministic ${strict === undefined ? 'accepted' : `rejected (${strict.message})`}`);
  }
  if (strict !== undefined && strict.code !== 'ERR_CBOR_MALFORMED') tally.failures.push(`${name}: ${strict.code}`);
  if (label !== undefined) {
    const labelled = label === 'DLO/PS/CDE/LDE';
    if (labelled !== (strict === undefined) && loss !== REASON_NAN_PAYLOAD) {
      tally.failures.push(`${name}: labelled ${label} but requireDeterministic ${strict === undefined ? 'accepted' : 'rejected'}`);
    }
  }
}

function checkBad(file: VectorFile, test: VectorCase, tally: Tally): void {
  const name = `${file.title}: ${test.description} (${hex(test.encoded).slice(0, 40)})`;
  const accepted = ACCEPTED_BAD_CASES.get(test.description);
  let error: DecodeError | undefined;
  try {
    error = decodeError(() => decodeCbor(test.encoded, CASE_LIMITS));
  } catch (other) {
    tally.failures.push(`${name}: threw a non-DecodeError ${String(other)}`);
    return;
  }
  if (error === undefined) {
    if (accepted !== undefined) tally.note(accepted);
    else tally.failures.push(`${name}: decoded, expected a DecodeError`);
    return;
  }
  if (accepted !== undefined) tally.failures.push(`${name}: rejected, but listed as accepted`);
  if (!/at offset \d+/.test(error.message)) tally.failures.push(`${name}: message without an offset: ${error.message}`);
  tally.rejected++;
}

function run(files: VectorFile[], spike = false): Tally {
  const tally = new Tally();
  for (const file of files) {
    for (const test of file.cases) {
      if (test.fail) checkBad(file, test, tally);
      else checkGood(file, test, tally, spike ? test.description : undefined);
    }
  }
  return tally;
}

/* ------------------------------------------------------------------------------------------ */
/* cbor-wg/cbor-test-vectors                                                                   */
/* ------------------------------------------------------------------------------------------ */

const APPENDIX_A = ['mt0', 'mt1', 'mt2', 'mt3', 'mt4', 'mt5', 'mt6', 'mt7-float', 'mt7-simple', 'streaming']
  .map((name) => loadCborWg(`rfc8949-appendixA/${name}.cbor`));
const GOOD = loadCborWg('rfc8949/good.cbor');
const BAD = loadCborWg('rfc8949/bad.cbor');
const SPIKE = loadCborWg('spike/spike.cbor');

const count = (files: VectorFile[]): number => files.reduce((n, f) => n + f.cases.length, 0);

describe('cbor-wg/cbor-test-vectors', () => {
  const appendix = run(APPENDIX_A);
  const appendixSummary = `cbor-wg appendix A: ${count(APPENDIX_A)} cases, ${appendix.decoded} decoded, `
    + `${appendix.reencoded} re-encoded identically, ${appendix.preferred} (roundtrip: false) re-encoded in preferred form, `
    + `${appendix.notApplicableCount} not applicable`;
  it(`${appendixSummary} (${appendix.reasons()})`, () => {
    console.log(`${appendixSummary}: ${appendix.reasons()}; requireDeterministic accepted ${appendix.deterministic}, rejected ${appendix.notDeterministic}`);
    expect(appendix.failures).toEqual([]);
    expect(appendix.decoded).toBe(count(APPENDIX_A));
  });

  const good = run([GOOD]);
  const goodSummary = `cbor-wg rfc8949 good: ${GOOD.cases.length} cases, ${good.decoded} decoded, `
    + `${good.reencoded} re-encoded identically, ${good.preferred} (roundtrip: false) re-encoded in preferred form, `
    + `${good.notApplicableCount} not applicable`;
  it(`${goodSummary} (${good.reasons()})`, () => {
    console.log(`${goodSummary}: ${good.reasons()}; requireDeterministic accepted ${good.deterministic}, rejected ${good.notDeterministic}`);
    expect(good.failures).toEqual([]);
  });

  const bad = run([BAD]);
  const badSummary = `cbor-wg rfc8949 bad: ${BAD.cases.length} cases, ${bad.rejected} rejected with a DecodeError, `
    + `${bad.notApplicableCount} accepted`;
  it(`${badSummary} (${bad.reasons()})`, () => {
    console.log(`${badSummary}: ${bad.reasons()}`);
    expect(bad.failures).toEqual([]);
    expect(BAD.cases.every((c) => c.fail)).toBe(true);
  });

  const spike = run([SPIKE], true);
  const labels = (label: string): number => SPIKE.cases.filter((c) => c.description === label).length;
  const spikeSummary = `cbor-wg spike: ${SPIKE.cases.length} cases (${labels('DLO')} DLO, ${labels('DLO/PS/CDE/LDE')} DLO/PS/CDE/LDE), `
    + `${spike.decoded} decoded, ${spike.reencoded} re-encoded identically, ${spike.preferred} re-encoded in preferred form, `
    + 'requireDeterministic accepted '
    + `${spike.deterministic} and rejected ${spike.notDeterministic}, ${spike.notApplicableCount} not applicable`;
  it(`${spikeSummary} (${spike.reasons()})`, () => {
    console.log(`${spikeSummary}: ${spike.reasons()}`);
    expect(spike.failures).toEqual([]);
    expect(labels('DLO') + labels('DLO/PS/CDE/LDE')).toBe(SPIKE.cases.length);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* draft-ietf-cbor-cde example table                                                           */
/* ------------------------------------------------------------------------------------------ */

/** RFC 4180 CSV: quoted fields, `""` inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    const fields: string[] = [];
    let current = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          current += '"';
          i++;
        } else if (c === '"') {
          quoted = false;
        } else {
          current += c;
        }
      } else if (c === '"') {
        quoted = true;
      } else if (c === ',') {
        fields.push(current);
        current = '';
      } else {
        current += c;
      }
    }
    fields.push(current);
    rows.push(fields);
  }
  return rows;
}

interface CdeRow {
  readonly kind: string;
  readonly value: string;
  readonly encoded: Uint8Array;
  readonly description: string;
}

const CDE: CdeRow[] = parseCsv(new TextDecoder().decode(readVector('cbor-cde-examples/example-table-input.csv')))
  .map(([kind = '', value = '', cbor = '', description = '']) => ({ kind, value, encoded: fromHex(cbor), description }));

/** The bad rows that are still well-formed (a decoder without requireDeterministic accepts them). */
const CDE_NOT_WELL_FORMED = new Set(['f818', 'fc']);

describe('draft-ietf-cbor-cde example table', () => {
  const ints = CDE.filter((r) => r.kind === 'int');
  const floats = CDE.filter((r) => r.kind === 'flt');
  const bads = CDE.filter((r) => r.kind === 'bad');

  const numeric = new Tally();
  for (const row of [...ints, ...floats]) {
    const name = `${row.kind} ${row.value} (${hex(row.encoded)})`;
    let value: CborValue;
    try {
      value = decodeCbor(row.encoded);
    } catch (error) {
      numeric.failures.push(`${name}: ${String(error)}`);
      continue;
    }
    numeric.decoded++;
    if (row.kind === 'int') {
      const expected = BigInt(row.value);
      const actual = value instanceof CborTag ? bignumValue(value) : value;
      if (BigInt(actual as number | bigint) !== expected) numeric.failures.push(`${name}: decoded ${String(actual)}`);
      if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
        numeric.failures.push(`${name}: a safe integer decoded as a bigint`);
      }
    } else if (!Object.is(value, Number(row.value))) {
      numeric.failures.push(`${name}: decoded ${String(value)}`);
    }
    const loss = dataModelLoss(row.encoded, value);
    const identical = hex(encodeCbor(value)) === hex(row.encoded);
    if (identical) numeric.reencoded++;
    else if (loss !== undefined) numeric.note(loss);
    else numeric.failures.push(`${name}: re-encoded as ${hex(encodeCbor(value))}`);
    // every int and flt row is CDE (deterministic), but Ward's one NaN is f9 7e 00
    const strict = decodeError(() => decodeCbor(row.encoded, { requireDeterministic: true }));
    if (strict === undefined) numeric.deterministic++;
    else numeric.notDeterministic++;
    if ((strict === undefined) === (loss === REASON_NAN_PAYLOAD)) {
      numeric.failures.push(`${name}: requireDeterministic ${strict === undefined ? 'accepted' : `rejected (${strict.message})`}`);
    }
  }
  const numericSummary = `CDE table int+flt: ${ints.length + floats.length} rows, ${numeric.decoded} decoded to the listed value, `
    + `${numeric.reencoded} re-encoded identically, ${numeric.deterministic} accepted by requireDeterministic, `
    + `${numeric.notApplicableCount} not applicable`;
  it(`${numericSummary} (${numeric.reasons()})`, () => {
    console.log(`${numericSummary}: ${numeric.reasons()}`);
    expect(numeric.failures).toEqual([]);
    expect(ints.length + floats.length + bads.length).toBe(CDE.length);
  });

  let wellFormed = 0;
  let strictRejected = 0;
  const badFailures: string[] = [];
  for (const row of bads) {
    const name = `bad "${row.description}" (${hex(row.encoded)})`;
    const lax = decodeError(() => decodeCbor(row.encoded));
    if (CDE_NOT_WELL_FORMED.has(hex(row.encoded))) {
      if (lax?.code !== 'ERR_CBOR_MALFORMED') badFailures.push(`${name}: not well-formed, expected ERR_CBOR_MALFORMED`);
    } else if (lax === undefined) {
      wellFormed++;
    } else {
      badFailures.push(`${name}: well-formed but rejected without requireDeterministic (${lax.message})`);
    }
    const strict = decodeError(() => decodeCbor(row.encoded, { requireDeterministic: true }));
    if (strict?.code === 'ERR_CBOR_MALFORMED') strictRejected++;
    else badFailures.push(`${name}: requireDeterministic gave ${strict === undefined ? 'a value' : strict.code}`);
  }
  const badSummary = `CDE table bad: ${bads.length} rows, ${strictRejected} rejected by requireDeterministic, `
    + `${wellFormed} well-formed and accepted without it, ${bads.length - wellFormed} not well-formed`;
  it(badSummary, () => {
    console.log(badSummary);
    expect(badFailures).toEqual([]);
  });
});

/*
 * The `redact` obligation: remove named fields from a JSON object or CBOR map payload before
 * it is released (SPEC.md §Obligations). The rule is fail closed: a field the policy named
 * is either provably gone from the released bytes, or nothing is released: a redaction that
 * skips what it cannot see through (a string holding JSON, an array where an object was
 * expected) would release the very field the policy withheld, and nobody would know.
 *
 * Path syntax: `segment ("." segment)*`, where a segment is a field name followed by any
 * number of `[]`, each meaning "every element of this array". `person.badge` names `badge`
 * inside the object `person`; `people[].name` names `name` in every element of the array
 * `people`; `rows[][].id` goes through an array of arrays. A name is never empty and never
 * contains `.`, `[` or `]`; a path ends in a name (not in `[]`).
 */
import { decodeCbor, encodeCbor } from '../../cbor/index.js';
import type { CborValue } from '../../cbor/index.js';
import { assertBytes } from '../../backend/validate.js';
import { ArgumentError, PolicyError } from '../../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** One segment of a redaction path: a field name, then `arrays` times "every element". */
interface Segment {
  readonly name: string;
  readonly arrays: number;
}

/** A parsed redaction path (see the file header for the syntax). */
export interface RedactionPath {
  /** The path as the policy wrote it (for error messages; never a payload value). */
  readonly text: string;
  readonly segments: readonly Segment[];
}

const SEGMENT = /^([^.[\]]+)((?:\[\])*)$/;

function refuse(message: string, cause?: unknown): never {
  throw new PolicyError('ERR_POLICY_OBLIGATION', message, cause === undefined ? undefined : { cause });
}

/**
 * Parses redaction paths. A malformed path cannot name a field that can then be proven gone,
 * so it refuses (`ERR_POLICY_OBLIGATION`); `openEnvelope()` calls this before any key is touched.
 */
export function parseRedactionPaths(fields: readonly string[]): RedactionPath[] {
  if (!Array.isArray(fields)) throw new ArgumentError('fields must be an array of redaction paths');
  return fields.map((text: unknown) => {
    if (typeof text !== 'string') throw new ArgumentError('fields must be an array of redaction paths');
    const segments = text.split('.').map((part) => {
      const match = SEGMENT.exec(part);
      if (match === null) refuse(`the redaction path "${text}" is malformed: a segment is a non-empty name without ".", "[" or "]", then any number of "[]"`);
      return { name: match[1]!, arrays: match[2]!.length / 2 };
    });
    if (segments[segments.length - 1]!.arrays !== 0) refuse(`the redaction path "${text}" is malformed: it ends in "[]", not in a field name`);
    return { text, segments };
  });
}

/** How one payload format is walked: JSON values or CBOR data items. */
interface Tree {
  /** `object` for a map with named fields, `array`, `absent` for null/undefined, `other` for anything else. */
  kind(node: unknown): 'object' | 'array' | 'absent' | 'other';
  has(object: unknown, key: string): boolean;
  get(object: unknown, key: string): unknown;
  remove(object: unknown, key: string): void;
}

const jsonTree: Tree = {
  kind: (node) => {
    if (node === null || node === undefined) return 'absent';
    if (Array.isArray(node)) return 'array';
    return typeof node === 'object' ? 'object' : 'other';
  },
  /* Own properties only (prototype pollution): a path `__proto__.x`, `constructor` or `toString`
   * must never walk into, or delete from, Object.prototype; an inherited field is no payload field. */
  has: (object, key) => Object.hasOwn(object as object, key),
  get: (object, key) => (object as Record<string, unknown>)[key],
  remove: (object, key) => { delete (object as Record<string, unknown>)[key]; },
};

const cborTree: Tree = {
  kind: (node) => {
    if (node === null || node === undefined) return 'absent';
    if (Array.isArray(node)) return 'array';
    return node instanceof Map ? 'object' : 'other';
  },
  /* Paths name text keys; a CBOR map's integer or byte-string keys are other fields. */
  has: (object, key) => (object as Map<CborValue, CborValue>).has(key),
  get: (object, key) => (object as Map<CborValue, CborValue>).get(key),
  remove: (object, key) => { (object as Map<CborValue, CborValue>).delete(key); },
};

/**
 * Removes every field `path` names under `node`, from segment `at` on (with `remove` false,
 * only checks that it could: see {@link removeAll}). A field is provably
 * gone when it is removed, or when the walk meets nothing (a missing key, null). Anything
 * else on the way — a plain segment meeting an array, `[]` meeting an object, any segment
 * meeting a string or number that might hold the value in another shape — refuses.
 *
 * A key may itself contain dots: `a.b` also names the key `"a.b"` (and `a.b.c` the key `"a.b"`
 * then `c`, or `"a.b.c"`), so no spelling of the named field survives.
 */
function removePath(tree: Tree, node: unknown, path: RedactionPath, at: number, remove: boolean): void {
  const kind = tree.kind(node);
  if (kind === 'absent') return;
  /* Fail closed: a value the walk cannot see into might hold the field in another shape. */
  if (kind !== 'object') refuse(`the redaction path "${path.text}" meets ${kind === 'array' ? 'an array (write "[]" after the name to go through every element)' : 'a value that is not an object'}: the field cannot be proven gone`);
  const { segments } = path;
  let key = '';
  for (let end = at; end < segments.length; end++) {
    /* A dotted key spans plain segments only; `[]` ends it. */
    if (end > at && segments[end - 1]!.arrays !== 0) break;
    key = end === at ? segments[end]!.name : `${key}.${segments[end]!.name}`;
    if (!tree.has(node, key)) continue;
    if (end !== segments.length - 1) removeThrough(tree, tree.get(node, key), segments[end]!.arrays, path, end + 1, remove);
    else if (remove) tree.remove(node, key);
  }
}

/** Goes through `arrays` levels of "every element", then continues the path at `at`. */
function removeThrough(tree: Tree, node: unknown, arrays: number, path: RedactionPath, at: number, remove: boolean): void {
  if (arrays === 0) return removePath(tree, node, path, at, remove);
  const kind = tree.kind(node);
  if (kind === 'absent') return;
  if (kind !== 'array') refuse(`the redaction path "${path.text}" expects an array where the payload has ${kind === 'object' ? 'an object' : 'another value'}: the field cannot be proven gone`);
  for (const element of node as unknown[]) removeThrough(tree, element, arrays - 1, path, at, remove);
}

/**
 * Checks every path against the payload as received, then removes them all: whether a payload
 * is refused does not depend on the order of the paths (`c` then `c.a` over `{"c":"x"}` is
 * refused just as `c.a` then `c` is).
 */
function removeAll(tree: Tree, value: unknown, paths: readonly RedactionPath[]): void {
  /* Check all, then remove: the verdict cannot depend on the order of the paths. */
  for (const path of paths) removePath(tree, value, path, 0, false);
  for (const path of paths) removePath(tree, value, path, 0, true);
}

function firstByte(payload: Uint8Array): number | undefined {
  for (const byte of payload) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  return undefined;
}

/**
 * Removes parsed paths from a payload; see {@link redactPayload}. The released bytes are always
 * freshly serialised from the parsed value, so nothing of the original bytes survives (not a
 * duplicate JSON key's earlier value, not its spacing). The input buffer is wiped.
 */
export function redactPaths(payload: Uint8Array, paths: readonly RedactionPath[]): Uint8Array {
  try {
    if (firstByte(payload) === 0x7b) {
      let value: unknown;
      try {
        value = JSON.parse(decoder.decode(payload));
      } catch {
        /* No cause: V8's SyntaxError quotes the JSON text, and a refusal must carry no plaintext. */
        refuse('the payload starts like JSON but is not valid UTF-8 JSON: it cannot be redacted');
      }
      /* Text that starts with "{" and parses is a JSON object; removeAll refuses anything else anyway.
       * JSON.parse defines "__proto__" as an own data property, never the prototype. */
      removeAll(jsonTree, value, paths);
      try {
        return encoder.encode(JSON.stringify(value));
      } catch (error) {
        refuse('the redacted payload could not be serialised', error);
      }
    }
    let value: CborValue;
    try {
      value = decodeCbor(payload);
    } catch (error) {
      refuse('the payload is neither a JSON object nor a CBOR map: it cannot be redacted', error);
    }
    if (cborTree.kind(value) !== 'object') refuse('the payload is neither a JSON object nor a CBOR map: it cannot be redacted');
    removeAll(cborTree, value, paths);
    return encodeCbor(value);
  } finally {
    payload.fill(0);
  }
}

/**
 * Removes `fields` from a payload that is a JSON object (UTF-8) or a CBOR map, fail closed:
 * every named field is provably gone from the result, or it throws and nothing is released.
 * The input buffer is wiped; the result is a new buffer, serialised afresh from the parsed
 * value (so an earlier duplicate JSON key, for example, does not survive either).
 *
 * Paths: `person.badge` is `badge` inside the object `person`; `people[].name` is `name` in
 * every element of the array `people` (`[]` may repeat: `rows[][].id`). A dotted path also
 * names a key that itself contains the dots (`"person.badge"`). Paths name text keys only.
 * A missing field, or `null` on the way, is already gone. The payload is refused when a plain
 * segment meets an array, `[]` meets anything but an array, or any segment meets a string,
 * number or other value that might carry the field in another shape.
 *
 * @param payload - the decrypted payload
 * @param fields - the redaction paths (the `fields` of a `redact` obligation)
 * @returns the redacted payload, re-encoded in the same format
 * @throws {@link PolicyError} `ERR_POLICY_OBLIGATION` when the payload is neither a JSON object
 *   nor a CBOR map, a path is malformed, or a named field cannot be proven gone (nothing is
 *   released; the message names the path, never a payload value)
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `payload` is not a Uint8Array or
 *   `fields` is not an array of strings
 * @example
 * ```ts
 * import { redactPayload } from '@ward/core/policy';
 *
 * const text = '{"plate":"AB-123","speed":41,"people":[{"name":"Ann","seat":1}]}';
 * const safe = redactPayload(new TextEncoder().encode(text), ['plate', 'people[].name']);
 * // {"speed":41,"people":[{"seat":1}]}
 * ```
 */
export function redactPayload(payload: Uint8Array, fields: readonly string[]): Uint8Array {
  assertBytes(payload, 'payload');
  let paths: RedactionPath[];
  try {
    paths = parseRedactionPaths(fields);
  } catch (error) {
    payload.fill(0);
    throw error;
  }
  return redactPaths(payload, paths);
}

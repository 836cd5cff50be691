/*
 * JSON for policy bundles: a strict parser (RFC 8259) that keeps number literals, the value
 * the policy sees, and the canonical form OPA hashes when it signs or verifies a structured
 * file (`data.json`, `.manifest`).
 *
 * OPA's hash of a structured file (open-policy-agent/opa v1/bundle/hash.go, `walk`, used by
 * `VerifyBundleFile` and by `opa build` / `opa sign`) is SHA-256 over this form of the parsed
 * document (Go's encoding/json with UseNumber):
 * - object: `{`, then for each key in Go's string order (bytewise UTF-8, that is code-point
 *   order) the key as a JSON string, `:`, the value; `,` between; `}`
 * - array: `[`, the values with `,` between, `]`
 * - string: Go's json.Encoder with SetEscapeHTML(false): `"` and `\` escaped, `\b \f \n \r \t`,
 *   other C0 controls as `\u00xx` (lowercase hex), U+2028 and U+2029 as `\u2028` `\u2029`,
 *   everything else (including `<`, `>`, `&`, DEL, non-ASCII) as raw UTF-8
 * - number: the literal exactly as written in the file (json.Number), e.g. `1.50` stays `1.50`
 * - `true`, `false`, `null`.
 * No whitespace anywhere. This parser is stricter than Go's (no duplicate keys, no invalid
 * UTF-8, no lone surrogates, no byte-order mark, integers within 2^53), so every document it
 * accepts has exactly one canonical form, the one OPA computes.
 */
import { PolicyError } from '../errors.js';

/** A parsed JSON value that remembers what hashing needs (number literals, key order as written). */
export type JsonNode =
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, JsonNode])[] }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly literal: string; readonly value: number }
  | { readonly kind: 'literal'; readonly value: boolean | null };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

const invalid = (what: string, message: string, cause?: unknown): PolicyError =>
  new PolicyError('ERR_POLICY_BUNDLE_INVALID', `policy bundle: ${what} ${message}`, cause === undefined ? undefined : { cause });

class Parser {
  #at = 0;
  constructor(readonly source: string, readonly what: string, readonly maxDepth: number) {}

  fail(message: string): PolicyError {
    return invalid(this.what, `is not valid JSON: ${message} at character ${this.#at}`);
  }

  /* RFC 8259 §2: insignificant whitespace is space, tab, line feed and carriage return, nothing else. */
  skip(): void {
    const s = this.source;
    for (;;) {
      const c = s.charCodeAt(this.#at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.#at++;
    }
  }

  document(): JsonNode {
    this.skip();
    const node = this.value(0);
    this.skip();
    /* RFC 8259 §2: JSON-text = ws value ws; anything after it is smuggled content another parser might read. */
    if (this.#at !== this.source.length) throw this.fail('data after the value');
    return node;
  }

  value(depth: number): JsonNode {
    const s = this.source;
    const c = s.charCodeAt(this.#at);
    if (c === 0x7b || c === 0x5b) {
      /* Stack exhaustion (RFC 8259 §9 lets a parser limit nesting): the depth is bounded before a level is entered. */
      if (depth >= this.maxDepth) throw invalid(this.what, `nests deeper than maxJsonDepth (${this.maxDepth})`);
      return c === 0x7b ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === 0x22) return { kind: 'string', value: this.string() };
    if (s.startsWith('true', this.#at)) return this.word(4, true);
    if (s.startsWith('false', this.#at)) return this.word(5, false);
    if (s.startsWith('null', this.#at)) return this.word(4, null);
    /* RFC 8259 §6: the number grammar exactly (no leading zeros, "+", ".5", hex, NaN or Infinity). */
    NUMBER.lastIndex = this.#at;
    const match = NUMBER.exec(s);
    if (match === null) throw this.fail('unexpected character');
    const literal = match[0];
    const value = Number(literal);
    /* RFC 8259 §6 (interoperability beyond IEEE 754 doubles): the policy must see the value that was signed, so what a JavaScript number would change is refused. */
    if (!Number.isFinite(value)) throw this.fail(`number ${literal.slice(0, 32)} is out of range`);
    if (/^-?[0-9]+$/u.test(literal) && !Number.isSafeInteger(value)) throw this.fail(`integer ${literal.slice(0, 32)} is beyond 2^53`);
    this.#at += literal.length;
    return { kind: 'number', literal, value };
  }

  word(length: number, value: boolean | null): JsonNode {
    this.#at += length;
    return { kind: 'literal', value };
  }

  object(depth: number): JsonNode {
    this.#at++;
    const entries: (readonly [string, JsonNode])[] = [];
    const keys = new Set<string>();
    this.skip();
    if (this.source.charCodeAt(this.#at) === 0x7d) {
      this.#at++;
      return { kind: 'object', entries };
    }
    for (;;) {
      if (this.source.charCodeAt(this.#at) !== 0x22) throw this.fail('expected a key');
      const key = this.string();
      /* Duplicate keys (RFC 8259 §4: names SHOULD be unique, else behaviour is unpredictable): Go keeps the last, other parsers the first; a signed file must mean one thing. */
      if (keys.has(key)) throw this.fail(`duplicate key ${JSON.stringify(key.slice(0, 64))}`);
      keys.add(key);
      this.skip();
      if (this.source.charCodeAt(this.#at) !== 0x3a) throw this.fail('expected ":"');
      this.#at++;
      this.skip();
      entries.push([key, this.value(depth)]);
      this.skip();
      const c = this.source.charCodeAt(this.#at++);
      if (c === 0x7d) return { kind: 'object', entries };
      if (c !== 0x2c) throw this.fail('expected "," or "}"');
      this.skip();
    }
  }

  array(depth: number): JsonNode {
    this.#at++;
    const items: JsonNode[] = [];
    this.skip();
    if (this.source.charCodeAt(this.#at) === 0x5d) {
      this.#at++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value(depth));
      this.skip();
      const c = this.source.charCodeAt(this.#at++);
      if (c === 0x5d) return { kind: 'array', items };
      if (c !== 0x2c) throw this.fail('expected "," or "]"');
      this.skip();
    }
  }

  string(): string {
    const s = this.source;
    let at = this.#at + 1;
    let out = '';
    let run = at;
    for (;;) {
      const c = s.charCodeAt(at);
      if (Number.isNaN(c)) throw this.fail('unterminated string');
      if (c === 0x22) break;
      /* RFC 8259 §7: control characters U+0000 to U+001F must be escaped. Raw surrogates here are always paired: the source came from strict UTF-8, which cannot encode a lone one. */
      if (c < 0x20) throw this.fail('control character in a string');
      if (c !== 0x5c) {
        at++;
        continue;
      }
      out += s.slice(run, at);
      const e = s.charCodeAt(at + 1);
      at += 2;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          let unit = this.hex4(s, at);
          at += 4;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            /* RFC 8259 §7, §8.2: a character outside the BMP is an escaped surrogate pair; a lone half is no character (and reads differently in every parser). */
            if (s.charCodeAt(at) !== 0x5c || s.charCodeAt(at + 1) !== 0x75) throw this.fail('lone surrogate escape');
            const low = this.hex4(s, at + 2);
            if (low < 0xdc00 || low > 0xdfff) throw this.fail('lone surrogate escape');
            out += String.fromCharCode(unit, low);
            at += 6;
            unit = -1;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            throw this.fail('lone surrogate escape');
          }
          if (unit >= 0) out += String.fromCharCode(unit);
          break;
        }
        default:
          /* RFC 8259 §7: only the eight two-character escapes and \uXXXX exist. */
          throw this.fail('invalid escape');
      }
      run = at;
    }
    out += s.slice(run, at);
    this.#at = at + 1;
    return out;
  }

  hex4(s: string, at: number): number {
    const digits = s.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/u.test(digits)) throw this.fail('invalid \\u escape');
    return parseInt(digits, 16);
  }
}

/**
 * Parses a JSON file strictly (see the file notes). `what` names the file in errors.
 * Throws `ERR_POLICY_BUNDLE_INVALID`.
 */
export function parseJson(bytes: Uint8Array, what: string, maxDepth: number): JsonNode {
  /* RFC 8259 §8.1: JSON text must not begin with a byte-order mark (TextDecoder would silently drop it). */
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw invalid(what, 'begins with a byte-order mark');
  let source: string;
  try {
    /* RFC 8259 §8.1: JSON exchanged between systems is UTF-8; invalid sequences are refused, never replaced (fatal decoder). */
    source = utf8.decode(bytes);
  } catch (error) {
    throw invalid(what, 'is not UTF-8', error);
  }
  return new Parser(source, what, maxDepth).document();
}

/** Sets an own, enumerable data property, as `JSON.parse` does. */
export function defineOwn(target: object, key: string, value: unknown): void {
  /* Prototype pollution: defineProperty, not assignment, so a key "__proto__" is data, never the prototype. */
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The plain JavaScript value of a node, as `JSON.parse` would build it. */
export function jsonValue(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object': {
      const out = {};
      for (const [key, value] of node.entries) defineOwn(out, key, jsonValue(value));
      return out;
    }
    case 'array':
      return node.items.map(jsonValue);
    case 'number':
      return node.value;
    default:
      return node.value;
  }
}

/** Compares strings in code-point order, which is the bytewise order of their UTF-8 (Go's string order). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    /* UTF-16 order differs from code-point order only between a surrogate (a code point ≥ U+10000) and U+E000–U+FFFF. */
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** A JSON string as Go's json.Encoder writes it with SetEscapeHTML(false). */
function goString(value: string): string {
  let out = '"';
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let escape: string | undefined;
    if (c === 0x22) escape = '\\"';
    else if (c === 0x5c) escape = '\\\\';
    else if (c < 0x20) {
      escape = c === 0x08 ? '\\b' : c === 0x0c ? '\\f' : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t'
        : `\\u00${c.toString(16).padStart(2, '0')}`;
    } else if (c === 0x2028 || c === 0x2029) escape = `\\u${c.toString(16)}`;
    if (escape === undefined) continue;
    out += value.slice(run, i) + escape;
    run = i + 1;
  }
  return `${out}${value.slice(run)}"`;
}

function canonical(node: JsonNode, parts: string[]): void {
  switch (node.kind) {
    case 'object': {
      const entries = [...node.entries].sort((a, b) => compareCodePoints(a[0], b[0]));
      parts.push('{');
      entries.forEach(([key, value], i) => {
        if (i > 0) parts.push(',');
        parts.push(goString(key), ':');
        canonical(value, parts);
      });
      parts.push('}');
      return;
    }
    case 'array':
      parts.push('[');
      node.items.forEach((item, i) => {
        if (i > 0) parts.push(',');
        canonical(item, parts);
      });
      parts.push(']');
      return;
    case 'string':
      parts.push(goString(node.value));
      return;
    case 'number':
      parts.push(node.literal);
      return;
    default:
      parts.push(String(node.value));
  }
}

/** The UTF-8 bytes OPA hashes for a structured bundle file (see the file notes). */
export function opaCanonicalBytes(node: JsonNode): Uint8Array {
  const parts: string[] = [];
  canonical(node, parts);
  return encoder.encode(parts.join(''));
}

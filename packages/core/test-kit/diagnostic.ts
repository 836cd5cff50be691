/*
 * Test-only: CBOR extended diagnostic notation (RFC 8949 §8, RFC 8610 App. G) for the
 * values Ward's decoder returns, with byte strings that hold CBOR shown as `<< … >>` when
 * asked. Used to print the SPEC.md examples.
 */
import { CborSimple, CborTag, decodeCbor } from '../src/cbor/index.js';
import type { CborValue } from '../src/index.js';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function diagnostic(value: CborValue, options: { embedded?: (path: string) => boolean } = {}, indent = '', path = ''): string {
  const next = `${indent}  `;
  if (value instanceof Uint8Array) {
    if (value.length > 0 && options.embedded?.(path)) {
      return `<< ${diagnostic(decodeCbor(value), options, indent, `${path}<<`)} >>`;
    }
    return `h'${hex(value)}'`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v, i) => `${next}${diagnostic(v, options, next, `${path}/${i}`)}`).join(',\n')}\n${indent}]`;
  }
  if (value instanceof Map) {
    if (value.size === 0) return '{}';
    const entries = [...value].map(([k, v]) => `${next}${diagnostic(k)}: ${diagnostic(v, options, next, `${path}/${String(k)}`)}`);
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  if (value instanceof CborTag) return `${String(value.tag)}(${diagnostic(value.value, options, indent, `${path}#`)})`;
  if (value instanceof CborSimple) return `simple(${value.value})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return String(value);
}

export { hex };

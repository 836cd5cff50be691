/*
 * The `redact` obligation: remove named fields from a JSON object or CBOR map payload before
 * it is released. A payload that is neither cannot be redacted, so it is not released.
 */
import { decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { PolicyError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Removes a dotted path (`a.b.c`) from a JSON object; missing paths are fine. */
function removeJson(target: Record<string, unknown>, path: readonly string[]): void {
  let node: unknown = target;
  for (let i = 0; i < path.length - 1; i++) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    node = (node as Record<string, unknown>)[path[i]!];
  }
  if (typeof node === 'object' && node !== null && !Array.isArray(node)) delete (node as Record<string, unknown>)[path[path.length - 1]!];
}

/** Removes a dotted path from a CBOR map with text keys. */
function removeCbor(target: Map<CborValue, CborValue>, path: readonly string[]): void {
  let node: CborValue | undefined = target;
  for (let i = 0; i < path.length - 1; i++) {
    if (!(node instanceof Map)) return;
    node = node.get(path[i]!);
  }
  if (node instanceof Map) node.delete(path[path.length - 1]!);
}

function firstByte(payload: Uint8Array): number | undefined {
  for (const byte of payload) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  return undefined;
}

/**
 * Removes `fields` (dotted paths for nested objects, e.g. `"person.badge"`) from a payload that
 * is a JSON object (UTF-8) or a CBOR map. The input buffer is wiped; the result is a new buffer.
 *
 * @param payload - the decrypted payload
 * @param fields - the fields to remove
 * @returns the redacted payload, re-encoded in the same format
 * @throws {@link PolicyError} `ERR_POLICY_OBLIGATION` when the payload is neither a JSON object
 *   nor a CBOR map, so the obligation cannot be met (nothing is released)
 * @example
 * ```ts
 * import { redactPayload } from '@ward/core';
 *
 * const safe = redactPayload(new TextEncoder().encode('{"plate":"AB-123","speed":41}'), ['plate']); // {"speed":41}
 * ```
 */
export function redactPayload(payload: Uint8Array, fields: readonly string[]): Uint8Array {
  const paths = fields.map((field) => field.split('.'));
  try {
    if (firstByte(payload) === 0x7b) {
      const value: unknown = JSON.parse(decoder.decode(payload));
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
      for (const path of paths) removeJson(value as Record<string, unknown>, path);
      return encoder.encode(JSON.stringify(value));
    }
    const value = decodeCbor(payload);
    if (!(value instanceof Map)) throw new Error('not a CBOR map');
    for (const path of paths) removeCbor(value, path);
    return encodeCbor(value);
  } catch (error) {
    throw new PolicyError('ERR_POLICY_OBLIGATION', 'the payload is neither a JSON object nor a CBOR map: it cannot be redacted', { cause: error });
  } finally {
    payload.fill(0);
  }
}

/*
 * Helpers for the policy-bundle tests: the committed OPA fixtures (made by
 * scripts/make-bundle-fixtures.sh), unpacking and repacking bundles, and hand-made tar
 * headers for the malformed-archive cases.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'fflate';
import { expect } from 'vitest';
import { WardError } from '../src/errors.js';
import { readTar, writeTar } from '../src/policy/distribution/tar.js';

const FIXTURES = new URL('../src/policy/distribution/fixtures/', import.meta.url);

/** A committed fixture's bytes. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

/** A committed `.hex` fixture (a raw public key) as bytes. */
export function fixtureHex(name: string): Uint8Array {
  return fromHex(readFileSync(new URL(name, FIXTURES), 'utf8').trim());
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The files of a bundle, by normalised path, in archive order. */
export function unpackBundle(bundle: Uint8Array): Map<string, Uint8Array> {
  const files = readTar(gunzipSync(bundle), { maxFiles: 10_000, maxFileBytes: 1 << 30 });
  return new Map(files.map((f) => [f.path, f.data.slice()]));
}

/** A bundle of `files` in the given order (pax tar, gzip). */
export function packBundle(files: Map<string, Uint8Array> | readonly [string, Uint8Array][]): Uint8Array {
  const list = [...files].map(([path, data]) => ({ path, data }));
  return gzipSync(writeTar(list), { mtime: 0 });
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Fields of a hand-made tar header; anything left out is a plain regular file. */
export interface HeaderSpec {
  name?: string;
  size?: number;
  /** Raw size field (12 bytes), overriding `size`. */
  sizeField?: Uint8Array;
  type?: string;
  linkname?: string;
  magic?: string;
  prefix?: string;
  /** Add this to the correct checksum (0: correct). */
  checksumDelta?: number;
}

/** A 512-byte ustar header block as Go's archive/tar writes it. */
export function tarHeader(spec: HeaderSpec): Uint8Array {
  const h = new Uint8Array(512);
  const put = (offset: number, value: string): void => h.set(utf8(value), offset);
  put(0, spec.name ?? 'file.txt');
  put(100, '0000644\0');
  put(108, '0000000\0');
  put(116, '0000000\0');
  if (spec.sizeField) h.set(spec.sizeField, 124);
  else put(124, `${(spec.size ?? 0).toString(8).padStart(11, '0')}\0`);
  put(136, '00000000000\0');
  put(156, spec.type ?? '0');
  if (spec.linkname !== undefined) put(157, spec.linkname);
  put(257, spec.magic ?? 'ustar\u000000');
  if (spec.prefix !== undefined) put(345, spec.prefix);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  put(148, `${(sum + (spec.checksumDelta ?? 0)).toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A raw tar archive: each header followed by its data padded to 512, then `end` (default: two zero blocks). */
export function tarArchive(entries: readonly { header: Uint8Array; data?: Uint8Array }[], end: Uint8Array = new Uint8Array(1024)): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { header, data = new Uint8Array(0) } of entries) {
    parts.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  parts.push(end);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A pax extended header's records. */
export function paxRecords(records: readonly [string, string][]): Uint8Array {
  let out = '';
  for (const [key, value] of records) {
    const body = ` ${key}=${value}\n`;
    const bytes = utf8(body).length;
    let length = bytes + 1;
    while (String(length).length + bytes !== length) length = String(length).length + bytes;
    out += `${length}${body}`;
  }
  return utf8(out);
}

/** gzip of `data` (fflate, mtime 0), for tests that need a well-formed stream. */
export function gzip(data: Uint8Array): Uint8Array {
  return gzipSync(data, { mtime: 0 });
}

/** Asserts that `run` throws ERR_POLICY_BUNDLE_INVALID (and, if given, a message matching `message`). */
export function refused(run: () => unknown, message?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(WardError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as WardError).code).toBe('ERR_POLICY_BUNDLE_INVALID');
  if (message) expect((caught as Error).message).toMatch(message);
}

/*
 * The JSON-lines decision-log format, shared by the writer and the auditor's verifier:
 *
 *   one record per line, UTF-8, "\n"-terminated; each line is exactly
 *   JSON.stringify(record) with the record's fields in their documented order, plus, when
 *   signed, a last field "cose": base64url (RFC 4648 §5, unpadded) of the COSE_Sign1.
 *
 * The plain fields stay greppable (`grep '"allow":false'`); the COSE carries the evidence. A
 * line must be byte-for-byte the canonical form: no whitespace, reordered or duplicate keys or
 * alternative escapes, so what grep shows is exactly what was signed.
 */
import { Buffer } from 'node:buffer';
import { parseDecisionRecord } from '@ward/core/policy';
import { DecisionLogError } from '@ward/core/errors';
import type { DecisionRecord } from '@ward/core';

/**
 * The longest line accepted, newline included: 1 MiB. A record's canonical CBOR is at most
 * 64 KiB; its JSON (escapes can grow text sixfold) plus the base64url COSE stays below this.
 */
export const MAX_DECISION_LINE_BYTES = 1024 * 1024;

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/* RFC 3629 §3: an invalid UTF-8 sequence is an error, never replaced by U+FFFD (two different lines would read as one). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A parsed line: the record of its plain fields, and its COSE_Sign1 bytes when signed. */
export interface ParsedDecisionLine {
  /** The record the plain fields hold. */
  readonly record: DecisionRecord;
  /** The COSE_Sign1 of a signed line; `undefined` for an unsigned one. */
  readonly cose: Uint8Array | undefined;
}

const invalid = (message: string, cause?: unknown): DecisionLogError =>
  new DecisionLogError('ERR_DECISION_LOG_INVALID', message, cause === undefined ? undefined : { cause });

/**
 * The line of a (checked) record, newline included.
 *
 * @param record - a record as returned by the core functions (fields in their documented order)
 * @param cose - its COSE_Sign1 when signed
 * @returns the line
 * @example
 * ```ts
 * await handle.write(formatDecisionLine(record, signed));
 * ```
 */
export function formatDecisionLine(record: DecisionRecord, cose: Uint8Array | undefined): string {
  const value = cose === undefined ? record : { ...record, cose: Buffer.from(cose.buffer, cose.byteOffset, cose.byteLength).toString('base64url') };
  return `${JSON.stringify(value)}\n`;
}

/**
 * Strict base64url (RFC 4648 §5, unpadded): the alphabet only, no padding, and no stray bits
 * (RFC 4648 §3.5: non-zero pad bits would give one COSE many spellings), so the encoding round-trips.
 */
function decodeBase64Url(text: string): Uint8Array {
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw invalid('"cose" is not unpadded base64url');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw invalid('"cose" is not canonical base64url');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Parses one line (without its newline) strictly: UTF-8, JSON, the record format, and the
 * canonical form. The COSE, if any, is decoded from base64url but not checked: the caller
 * verifies (or inspects) it and compares its record with the plain one.
 *
 * @param bytes - the line's bytes, newline excluded
 * @returns the record and the COSE bytes
 * @throws DecisionLogError `ERR_DECISION_LOG_INVALID` naming what is wrong
 * @example
 * ```ts
 * const { record, cose } = parseDecisionLine(lineBytes);
 * ```
 */
export function parseDecisionLine(bytes: Uint8Array): ParsedDecisionLine {
  /* An empty line is no record: a blank line smuggled between two records would otherwise be skipped silently. */
  if (bytes.length === 0) throw invalid('the line is empty');
  let line: string;
  try {
    line = strictUtf8.decode(bytes);
  } catch (error) {
    throw invalid('the line is not UTF-8', error);
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw invalid('the line is not JSON', error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('the line is not a JSON object');
  const { cose: coseText, ...plain } = value as Record<string, unknown>;
  let cose: Uint8Array | undefined;
  if (coseText !== undefined) {
    if (typeof coseText !== 'string') throw invalid('"cose" must be base64url text');
    cose = decodeBase64Url(coseText);
  }
  const record = parseDecisionRecord(plain);
  /*
   * Grep must see what was signed: duplicate keys (RFC 8259 §4 leaves them to the parser, so two
   * readers could see two records), reordering or other spellings are refused.
   */
  if (formatDecisionLine(record, cose) !== `${line}\n`) {
    throw invalid('the line is not in canonical form (whitespace, key order, duplicate keys or escapes differ from what Ward writes)');
  }
  return { record, cose };
}

/**
 * Whether a signed line's COSE payload holds exactly the record of its plain fields.
 *
 * @param plain - the record of the plain fields
 * @param signed - the record of the COSE payload
 * @returns true when they are the same record
 * @example
 * ```ts
 * if (!sameDecisionRecord(parsed.record, verified)) throw new Error('plain fields differ from the signed record');
 * ```
 */
export function sameDecisionRecord(plain: DecisionRecord, signed: DecisionRecord): boolean {
  /* Both come out of the core's checker with their fields in one order, so equal data is equal JSON. */
  return JSON.stringify(plain) === JSON.stringify(signed);
}

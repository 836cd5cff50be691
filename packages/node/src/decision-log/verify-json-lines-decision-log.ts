/*
 * The auditor's check of a JSON-lines decision log: every line parsed strictly, every
 * signature verified against a trust store, every plain field compared with what was signed,
 * and the hash chain followed from the first line to the last. The first failure is reported
 * with its line number.
 */
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { WardError } from '@ward/core';
import { DecisionChainVerifier } from '@ward/core/policy';
import { DecisionLogError } from '@ward/core/errors';
import type { DecisionChainVerification, VerifyDecisionChainOptions } from '@ward/core/policy';
import { MAX_DECISION_LINE_BYTES, parseDecisionLine, sameDecisionRecord } from './json-lines-format.js';

/**
 * Options of {@link verifyJsonLinesDecisionLog}: those of a decision-chain verification.
 * `trust` (usually `trustStore.keySource('decision-log')`) verifies the signatures and, by
 * default, requires every line to be signed; without it the log is checked for structure and
 * links only, and the result says it is not authenticated.
 */
export type VerifyJsonLinesDecisionLogOptions = VerifyDecisionChainOptions;

/**
 * What a verified JSON-lines log holds: the records, their count, the chain's head, and
 * whether the lines were authenticated (every signature verified with `trust`) and chained.
 */
export type JsonLinesDecisionLogVerification = DecisionChainVerification;

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

function describe(error: unknown): string {
  if (WardError.isInstance(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Verifies a JSON-lines decision log written by `JsonLinesDecisionLog`: each line must be a
 * canonical record line; with `trust`, each must be signed by a key trusted with role
 * `decision-log` and its plain fields must be exactly the signed record; each record's
 * `previous` must be the digest of the line before it; no record id may repeat; the file
 * must end with a newline (else its last line is torn).
 *
 * An unsigned log verifies for structure only: the result has `authenticated: false`, and
 * anyone who could write the file could have written it. Records cut off the end of a log
 * are only detected by comparing `head` with a head kept elsewhere.
 *
 * @param path - the log file
 * @param options - backend, trust, requireSigned, previous (the head of the log this one continues)
 * @returns the records, count, head, and whether they were authenticated and chained
 * @throws DecisionLogError `ERR_DECISION_LOG_INVALID` at the first bad line, its
 *   message starting `<path>: line <n>:` and the precise failure in `cause`
 * @throws DecisionLogError `ERR_DECISION_LOG_UNAVAILABLE` when the file cannot be read
 * @throws ArgumentError `ERR_INVALID_ARGUMENT` for bad options
 * @example
 * ```ts
 * import { TrustStore } from '@ward/core';
 * import { createNodeBackend, verifyJsonLinesDecisionLog } from '@ward/node';
 *
 * const backend = createNodeBackend();
 * const { count, authenticated, head } = await verifyJsonLinesDecisionLog('decisions.jsonl', {
 *   backend,
 *   trust: trust.keySource('decision-log'),
 * });
 * ```
 */
export async function verifyJsonLinesDecisionLog(
  path: string,
  options: VerifyJsonLinesDecisionLogOptions,
): Promise<JsonLinesDecisionLogVerification> {
  const verifier = new DecisionChainVerifier(options);
  let lineNumber = 0;
  const fail = (error: unknown): DecisionLogError =>
    new DecisionLogError('ERR_DECISION_LOG_INVALID', `${path}: line ${lineNumber}: ${describe(error)}`, { cause: error });

  const checkLine = async (bytes: Uint8Array): Promise<void> => {
    lineNumber += 1;
    try {
      const { record, cose } = parseDecisionLine(bytes);
      if (cose === undefined) {
        await verifier.add(record);
      } else {
        const signed = await verifier.add(cose);
        /* Substitution: what grep shows must be what was signed (the plain fields are not covered by the signature). */
        if (!sameDecisionRecord(record, signed)) {
          throw new DecisionLogError('ERR_DECISION_LOG_INVALID', 'the plain fields differ from the signed record');
        }
      }
    } catch (error) {
      throw fail(error);
    }
  };

  let handle: FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (error) {
    throw new DecisionLogError('ERR_DECISION_LOG_UNAVAILABLE', `could not open ${path}`, { cause: error });
  }
  try {
    const chunk = new Uint8Array(CHUNK_BYTES);
    let pending = new Uint8Array(0);
    let position = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, position));
      } catch (error) {
        throw new DecisionLogError('ERR_DECISION_LOG_UNAVAILABLE', `could not read ${path}`, { cause: error });
      }
      if (bytesRead === 0) break;
      position += bytesRead;
      const joined = new Uint8Array(pending.length + bytesRead);
      joined.set(pending);
      joined.set(chunk.subarray(0, bytesRead), pending.length);
      let start = 0;
      for (let end = joined.indexOf(NEWLINE); end !== -1; end = joined.indexOf(NEWLINE, start)) {
        await checkLine(joined.subarray(start, end));
        start = end + 1;
      }
      pending = joined.slice(start);
      /* Resource exhaustion: no line may grow without bound while its newline is awaited. */
      if (pending.length >= MAX_DECISION_LINE_BYTES) {
        lineNumber += 1;
        throw fail(new DecisionLogError('ERR_DECISION_LOG_INVALID', `the line is longer than ${MAX_DECISION_LINE_BYTES} bytes`));
      }
    }
    /* Truncation: a last line without its newline is a torn (or cut) append, never read as a record. */
    if (pending.length > 0) {
      lineNumber += 1;
      throw fail(new DecisionLogError('ERR_DECISION_LOG_INVALID', 'the last line is torn (no newline at the end: a crash during an append?)'));
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  return verifier.result();
}

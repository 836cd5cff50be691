/*
 * Hash chains of decision records: DecisionChain links (and signs) each appended record to the
 * one before it; DecisionChainVerifier and verifyDecisionChain check a log entry by entry, so
 * a record deleted, reordered, inserted or replayed anywhere but at the end is found.
 */
import type { CryptoBackend, VerifyingKey } from '../../backend/crypto-backend.js';
import type { KeySource } from '../../cose/key-lookup.js';
import { ArgumentError, DecisionLogError, WardError } from '../../errors.js';
import { decisionRecordDigest } from './encoding.js';
import { RECORD_KEYS, argumentFail, checkRecord, describe, hexText, invalid, invalidFail, object } from './record.js';
import type { DecisionRecord } from './record.js';
import { inspectSignedDecisionRecord, signDecisionRecord, verifyDecisionRecord } from './signed-record.js';
import type { SignDecisionRecordOptions } from './signed-record.js';

/** Options of {@link DecisionChain}. */
export interface DecisionChainOptions {
  /** The backend that hashes the links. */
  readonly backend: CryptoBackend;
  /** Sign every record with these options (the record's time is the CWT `iat`). Default unsigned. */
  readonly sign?: Omit<SignDecisionRecordOptions, 'issuedAt'>;
  /** The link digest of the record to continue from (e.g. the last one of a log being resumed). */
  readonly head?: string;
}

/** A record as a {@link DecisionChain} appended it. */
export interface ChainedDecisionRecord {
  /** The record, with `previous` set to the chain's head before it (absent for the first). */
  readonly record: DecisionRecord;
  /** Its COSE_Sign1 bytes when the chain signs; `undefined` otherwise. */
  readonly signed: Uint8Array | undefined;
  /** Its link digest ({@link decisionRecordDigest}): the chain's new head. */
  readonly digest: string;
}

/**
 * A hash chain of decision records: each appended record gets `previous` = the link digest of
 * the record before it (SHA-256 of its COSE_Sign1 bytes when signed, of its canonical encoding
 * when not), and is then signed if the chain signs. Deleting, reordering or inserting a record
 * anywhere but at the end breaks a link that {@link verifyDecisionChain} finds; with signed
 * records no one without the key can re-link. Cutting records off the end is not detectable
 * from the log alone: keep the {@link DecisionChain.head} somewhere else now and then (a
 * second system, a transparency log) to detect that too.
 *
 * Appends are serialised in call order.
 *
 * @example
 * ```ts
 * import { DecisionChain } from '@ward/core/policy';
 *
 * const chain = new DecisionChain({ backend, sign: { backend, signer: { key, kid }, issuer: 'ward-gateway-3' } });
 * const { record, signed, digest } = await chain.append(await createDecisionRecord(input, decision, options));
 * ```
 */
export class DecisionChain {
  readonly #backend: CryptoBackend;
  readonly #sign: Omit<SignDecisionRecordOptions, 'issuedAt'> | undefined;
  #head: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param options - backend, signing options, head to continue from
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a missing backend or a head that is not 64 hex digits
   */
  constructor(options: DecisionChainOptions) {
    if (typeof options !== 'object' || options === null || typeof options.backend !== 'object' || options.backend === null) {
      throw new ArgumentError('a DecisionChain needs options with a backend');
    }
    this.#backend = options.backend;
    this.#sign = options.sign;
    /* A head is a SHA-256 link digest: 64 lowercase hex digits, the one spelling a link compares equal to. */
    this.#head = options.head === undefined ? undefined : hexText(options.head, 'head', argumentFail, 64);
  }

  /** The link digest of the last record appended (or the head given); `undefined` for a new chain. */
  get head(): string | undefined {
    return this.#head;
  }

  /**
   * Links a record to the chain (setting or replacing its `previous`), signs it if the chain
   * signs, and moves the head. A failure leaves the head where it was.
   *
   * @param record - the record
   * @returns the linked record, its signed bytes and its digest
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a record that breaks the format
   * @throws {@link KeyError} when the signing key does not fit the backend
   * @example
   * ```ts
   * const { record, signed } = await chain.append(record);
   * ```
   */
  append(record: DecisionRecord): Promise<ChainedDecisionRecord> {
    /* Race: appends run one at a time in call order, so two records never link to the same head (a fork). */
    const next = this.#queue.then(() => this.#append(record));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #append(record: DecisionRecord): Promise<ChainedDecisionRecord> {
    const fields = object(record, 'record', RECORD_KEYS, argumentFail, true);
    /* The chain, not the caller, sets the link: a record cannot claim another predecessor. */
    const { previous: _replaced, ...rest } = fields;
    const linked = checkRecord(this.#head === undefined ? rest : { ...rest, previous: this.#head }, argumentFail);
    const signed = this.#sign === undefined ? undefined : await signDecisionRecord(linked, this.#sign);
    const digest = await decisionRecordDigest(signed ?? linked, this.#backend);
    this.#head = digest;
    return { record: linked, signed, digest };
  }
}

/** Options of {@link DecisionChainVerifier} and {@link verifyDecisionChain}. */
export interface VerifyDecisionChainOptions {
  /** The backend that hashes (and verifies signatures). */
  readonly backend: CryptoBackend;
  /**
   * Verifies signed entries: usually `trustStore.keySource('decision-log')`. Without it, signed
   * entries are read with {@link inspectSignedDecisionRecord} (structure only, not authenticated).
   */
  readonly trust?: KeySource<VerifyingKey>;
  /** Refuse unsigned entries. Default `true` when `trust` is given, else `false`. */
  readonly requireSigned?: boolean;
  /**
   * The link digest the first entry must continue from: the head of the log segment before
   * this one (after rotation). Without it, a first entry that has `previous` is refused: the
   * records it follows are missing.
   */
  readonly previous?: string;
}

/** What a verified chain holds. */
export interface DecisionChainVerification {
  /** The records, in order. */
  readonly records: readonly DecisionRecord[];
  /** How many. */
  readonly count: number;
  /** The link digest of the last entry (`previous` when there are none). */
  readonly head: string | undefined;
  /**
   * `true` only when there is at least one entry and every entry's signature verified with
   * `trust`. `false` means the log was checked for structure (and links) only: anyone who
   * could write it could have written it.
   */
  readonly authenticated: boolean;
  /** Whether the entries form a hash chain (`false`: an unchained log; order and completeness unchecked). */
  readonly chained: boolean;
}

/**
 * Verifies a decision log entry by entry, in order: each entry's record (and signature), its
 * link to the entry before it, and that signed and unsigned entries do not mix. For logs too
 * large to hold at once, or whose entries carry positions (line numbers) of their own; errors
 * name no position, so the caller adds its own. {@link verifyDecisionChain} runs it over an array.
 *
 * The chain rules: the first entry has no `previous` (or the given `previous`); whether the
 * log is chained is fixed by the second entry (or by a given `previous`); in a chained log
 * every later entry's `previous` is the link digest of the entry before it, in an unchained
 * one no entry has one. No record id may repeat.
 *
 * @example
 * ```ts
 * import { DecisionChainVerifier } from '@ward/core/policy';
 *
 * const verifier = new DecisionChainVerifier({ backend, trust: trust.keySource('decision-log') });
 * for (const [i, entry] of entries.entries()) {
 *   try {
 *     await verifier.add(entry);
 *   } catch (error) {
 *     throw new Error(`entry ${i} is bad`, { cause: error });
 *   }
 * }
 * const { records, authenticated } = verifier.result();
 * ```
 */
export class DecisionChainVerifier {
  readonly #backend: CryptoBackend;
  readonly #trust: KeySource<VerifyingKey> | undefined;
  readonly #requireSigned: boolean;
  readonly #start: string | undefined;
  readonly #records: DecisionRecord[] = [];
  readonly #ids = new Set<string>();
  #head: string | undefined;
  #signed: boolean | undefined;
  #chained: boolean | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #broken = false;

  /**
   * @param options - backend, trust, requireSigned, previous
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a missing backend or a `previous` that is not 64 hex digits
   */
  constructor(options: VerifyDecisionChainOptions) {
    if (typeof options !== 'object' || options === null || typeof options.backend !== 'object' || options.backend === null) {
      throw new ArgumentError('a DecisionChainVerifier needs options with a backend');
    }
    this.#backend = options.backend;
    this.#trust = options.trust;
    /* Signature stripping: with trust, unsigned entries are refused unless the caller says otherwise. */
    this.#requireSigned = options.requireSigned ?? options.trust !== undefined;
    if (this.#requireSigned && this.#trust === undefined) throw new ArgumentError('requireSigned needs trust to verify the signatures with');
    /* A link digest: 64 lowercase hex digits, the one spelling a link compares equal to. */
    this.#start = options.previous === undefined ? undefined : hexText(options.previous, 'previous', argumentFail, 64);
    this.#head = this.#start;
    if (this.#start !== undefined) this.#chained = true;
  }

  /**
   * Verifies the next entry. After a refused entry the verifier refuses everything: the
   * chain is broken there.
   *
   * @param entry - the next record, or the COSE_Sign1 bytes of the next signed record
   * @returns the entry's record
   * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` for a malformed record, a
   *   signature that does not verify, a broken link, mixed signed and unsigned entries, an
   *   unsigned entry when signatures are required, or a repeated id
   * @example
   * ```ts
   * const record = await verifier.add(signedBytes);
   * ```
   */
  add(entry: DecisionRecord | Uint8Array): Promise<DecisionRecord> {
    const next = this.#queue.then(() => this.#add(entry));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #add(entry: DecisionRecord | Uint8Array): Promise<DecisionRecord> {
    /* Fail closed: nothing after a refused entry is vouched for (its link would start from a record nobody checked). */
    if (this.#broken) throw invalid('an earlier entry was refused; the chain is broken there');
    try {
      return await this.#check(entry);
    } catch (error) {
      this.#broken = true;
      throw error;
    }
  }

  async #check(entry: DecisionRecord | Uint8Array): Promise<DecisionRecord> {
    const index = this.#records.length;
    const signed = entry instanceof Uint8Array;
    /* Stripping signatures: an unsigned entry is no evidence when the log must be signed. */
    if (!signed && this.#requireSigned) throw invalid('the record is not signed, and signatures are required');
    /* Mixing: an unsigned entry appended to a signed log (or the reverse) is refused, not averaged. */
    if (this.#signed !== undefined && this.#signed !== signed) {
      throw invalid(signed ? 'the record is signed but the records before it are not' : 'the record is not signed but the records before it are');
    }
    let record: DecisionRecord;
    /* RFC 9052 §4.4: with trust, each signed entry's signature; without, its structure only (the result says so). */
    if (!signed) record = checkRecord(entry, invalidFail);
    else if (this.#trust !== undefined) record = await verifyDecisionRecord(entry, { backend: this.#backend, trust: this.#trust });
    else record = inspectSignedDecisionRecord(entry).record;

    /* Deletion, reordering, insertion: each link must be the digest of the entry before it. */
    if (index === 0 && this.#start === undefined) {
      if (record.previous !== undefined) {
        throw invalid('the first record continues a chain whose earlier records are missing (give the previous head to verify a later segment)');
      }
    } else {
      if (this.#chained === undefined) this.#chained = record.previous !== undefined;
      if (this.#chained) {
        if (record.previous === undefined) throw invalid('the record has no link to the record before it (previous) in a chained log');
        if (record.previous !== this.#head) {
          throw invalid(index === 0
            ? 'the first record does not continue the given previous head'
            : 'the record does not follow the record before it (a record was deleted, reordered or inserted)');
        }
      } else if (record.previous !== undefined) {
        throw invalid('the record is chained but the records before it are not');
      }
    }
    /* Replay: a record copied into the log twice. */
    if (this.#ids.has(record.id)) throw invalid(`record id ${record.id} appears twice`);
    /* The link covers the signed bytes when signed: no one without the key can re-link an edited record. */
    const digest = await decisionRecordDigest(signed ? entry : record, this.#backend);
    this.#ids.add(record.id);
    this.#records.push(record);
    this.#signed = signed;
    this.#head = digest;
    return record;
  }

  /**
   * What was verified so far.
   *
   * @returns the records, count, head, and whether they were authenticated and chained
   * @example
   * ```ts
   * const { count, authenticated, head } = verifier.result();
   * ```
   */
  result(): DecisionChainVerification {
    const count = this.#records.length;
    return Object.freeze({
      records: Object.freeze([...this.#records]),
      count,
      head: this.#head,
      /* Authenticated only when every entry's signature was verified: an empty or unsigned log proves no author. */
      authenticated: count > 0 && this.#signed === true && this.#trust !== undefined,
      chained: this.#chained ?? false,
    });
  }
}

/**
 * Verifies a whole decision log given as an array: every record (and, with `trust`, every
 * signature), every link of the hash chain, and that signed and unsigned entries do not mix.
 * The rules are those of {@link DecisionChainVerifier}.
 *
 * @param entries - the records, or the COSE_Sign1 bytes of signed ones, in log order
 * @param options - backend, trust, requireSigned, previous
 * @returns the records and what was checked
 * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` naming the index of the first
 *   entry that fails ("entry 3: …"), with the precise failure in `cause`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for bad options
 * @example
 * ```ts
 * import { verifyDecisionChain } from '@ward/core/policy';
 *
 * const { records, authenticated, head } = await verifyDecisionChain(signedEntries, {
 *   backend,
 *   trust: trust.keySource('decision-log'),
 * });
 * ```
 */
export async function verifyDecisionChain(
  entries: readonly (DecisionRecord | Uint8Array)[],
  options: VerifyDecisionChainOptions,
): Promise<DecisionChainVerification> {
  if (!Array.isArray(entries)) throw new ArgumentError('entries must be an array');
  const verifier = new DecisionChainVerifier(options);
  for (let i = 0; i < entries.length; i++) {
    try {
      await verifier.add(entries[i] as DecisionRecord | Uint8Array);
    } catch (error) {
      throw new DecisionLogError('ERR_DECISION_LOG_INVALID', `entry ${i}: ${WardError.isInstance(error) ? error.message : describe(error)}`, { cause: error });
    }
  }
  return verifier.result();
}

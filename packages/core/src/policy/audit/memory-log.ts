/*
 * Where decision records go: the DecisionLogSink interface every log implements, and
 * MemoryDecisionLog, a bounded ring of the most recent records in memory.
 */
import type { MaybePromise } from '../../backend/crypto-backend.js';
import { checkOptionsObject } from '../../backend/validate.js';
import { ArgumentError } from '../../errors.js';
import { argumentFail, checkRecord } from './record.js';
import type { DecisionRecord } from './record.js';

/**
 * Where decision records go. `write` resolves once the record is recorded (as durably as the
 * sink promises), and throws or rejects when it could not be: a sink never swallows a failure.
 *
 * The policy engine decides what a failed write means. Its default is fail-closed for allows:
 * an allow whose record could not be written is not acted on (the open fails), so no data is
 * released unrecorded; a deny stays a deny either way. Sinks should report their own failures
 * as {@link DecisionLogError} `ERR_DECISION_LOG_UNAVAILABLE`.
 */
export interface DecisionLogSink {
  /**
   * Records one decision.
   *
   * @param record - the record to keep
   */
  write(record: DecisionRecord): MaybePromise<void>;
}

/** Options of {@link MemoryDecisionLog}. */
export interface MemoryDecisionLogOptions {
  /** How many records to keep; the oldest are dropped first. Default 10,000. */
  readonly capacity?: number;
}

/**
 * A decision log in memory: a bounded ring of the most recent records, for tests and for
 * devices that ship their log elsewhere. Records are checked on write (a malformed record is
 * refused, not kept) and kept frozen.
 *
 * @example
 * ```ts
 * import { MemoryDecisionLog } from '@ward/core';
 *
 * const log = new MemoryDecisionLog({ capacity: 1000 });
 * log.write(record);
 * log.records().at(-1)?.decision.allow;
 * ```
 */
export class MemoryDecisionLog implements DecisionLogSink {
  readonly #capacity: number;
  readonly #ring: DecisionRecord[] = [];
  #start = 0;
  #dropped = 0;

  /**
   * @param options - the capacity
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a capacity that is not a positive safe integer
   */
  constructor(options: MemoryDecisionLogOptions = {}) {
    checkOptionsObject(options, 'new MemoryDecisionLog');
    const capacity = options.capacity ?? 10_000;
    /* Memory exhaustion: the ring is bounded, however many decisions are made. */
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new ArgumentError('capacity must be a positive integer');
    this.#capacity = capacity;
  }

  /** How many records the log keeps at most. */
  get capacity(): number {
    return this.#capacity;
  }

  /** How many records it holds now. */
  get size(): number {
    return this.#ring.length;
  }

  /** How many records were dropped to make room since the log was made. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Keeps a record, dropping the oldest when the log is full.
   *
   * @param record - the record
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a record that breaks the format
   * @example
   * ```ts
   * log.write(await createDecisionRecord(input, decision, { backend, bundle }));
   * ```
   */
  write(record: DecisionRecord): void {
    /* Own what you keep: a checked, frozen copy, so a malformed record is refused and the caller cannot change a kept one. */
    const checked = checkRecord(record, argumentFail);
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(checked);
      return;
    }
    this.#ring[this.#start] = checked;
    this.#start = (this.#start + 1) % this.#capacity;
    this.#dropped += 1;
  }

  /**
   * The records held, oldest first.
   *
   * @returns a new array of frozen records
   * @example
   * ```ts
   * const denials = log.records().filter((r) => !r.decision.allow);
   * ```
   */
  records(): DecisionRecord[] {
    return [...this.#ring.slice(this.#start), ...this.#ring.slice(0, this.#start)];
  }
}

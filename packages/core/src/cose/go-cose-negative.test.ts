/*
 * go-cose's malformed COSE_Sign1 vectors (4 cases, GlueCOSE format, dummy `ff…` signatures):
 * verifySign1 must reject each one structurally, with a WardError, before any signature check.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { WardErrorCode } from '../errors.js';
import {
  BACKENDS, describeOutcome, fromHex, importVerifyingKey, outcomeOf, readVectorJson, recordingBackend, vectorJsonFiles,
} from '../../test-kit/cose-vectors.js';
import type { VectorJwk } from '../../test-kit/cose-vectors.js';
import { verifySign1 } from './sign1.js';

interface NegativeCase {
  readonly title: string;
  readonly description: string;
  readonly key: VectorJwk;
  readonly alg: string;
  readonly 'sign1::verify': {
    readonly taggedCOSESign1: { readonly cborHex: string };
    readonly external?: string;
    readonly shouldVerify: boolean;
  };
}

/** The code Ward must give for each file, and why. */
const EXPECTED: Readonly<Record<string, { readonly code: WardErrorCode; readonly why: string }>> = {
  'sign1-verify-negative-0000.json': { code: 'ERR_COSE_MALFORMED', why: 'protected bucket is a map, not a bstr (RFC 9052 §3)' },
  'sign1-verify-negative-0001.json': { code: 'ERR_COSE_INVALID_HEADER', why: 'protected bstr holds an array, not a map (RFC 9052 §3)' },
  'sign1-verify-negative-0002.json': { code: 'ERR_CBOR_DUPLICATE_KEY', why: 'duplicate alg in the protected map (RFC 9052 §3, RFC 8949 §5.6)' },
  'sign1-verify-negative-0003.json': { code: 'ERR_CBOR_DUPLICATE_KEY', why: 'duplicate kid in the unprotected map (RFC 9052 §3, RFC 8949 §5.6)' },
};

const DIR = 'go-cose-negative/testdata/';
const files = vectorJsonFiles(DIR);
const codes = new Map<string, WardErrorCode>();

describe(`go-cose-negative: ${files.length} malformed COSE_Sign1 — ${files.length} must be rejected`, () => {
  it('holds the 4 cases the README lists, each with a stated expectation', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const file of files) {
    const vector = readVectorJson<NegativeCase>(`${DIR}${file}`);
    const expected = EXPECTED[file]!;
    for (const { name, create } of BACKENDS) {
      it(`[${name}] ${file} "${vector.title.trim()}" → ${expected.code} (${expected.why})`, async () => {
        expect(vector['sign1::verify'].shouldVerify).toBe(false);
        const { backend, log } = recordingBackend(create());
        const key = await importVerifyingKey(backend, vector.key);
        const outcome = await outcomeOf(() => verifySign1(fromHex(vector['sign1::verify'].taggedCOSESign1.cborHex), { backend, key }));
        expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
        if (outcome.kind === 'ward') {
          expect(outcome.code, describeOutcome(outcome)).toBe(expected.code);
          codes.set(file, outcome.code);
        }
        /* Rejected structurally: the backend never saw a signature check. */
        expect(log.verified).toEqual([]);
      });
    }
  }

  afterAll(() => {
    console.log(`go-cose-negative: ${files.length} cases — 0 verified, ${codes.size} rejected as expected, 0 not applicable; codes ${JSON.stringify(Object.fromEntries(codes))}`);
  });
});

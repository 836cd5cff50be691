/*
 * GlueCOSE COSE_Sign1 vectors (ES256 subset, 4 cases) through Ward, on both backends.
 *
 * - `sign1::verify`: the message verifies (or not, per `shouldVerify`) with the JWK's public key
 *   and the vector's external AAD / detached payload.
 * - `sign1::sign`: Ward signs the payload with the JWK's private key and the vector's headers and
 *   external AAD. ECDSA is randomized, so the signature cannot equal `expectedOutput`; instead
 *   the Sig_structure Ward hands to the backend must equal `tbsHex`, Ward's message must carry the
 *   same headers and payload as `expectedOutput`, Ward's signature must verify with the public
 *   key, and `expectedOutput` itself must verify with Ward.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCbor } from '../cbor/index.js';
import { CborTag } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import {
  BACKENDS, describeOutcome, fromHex, importSigningKey, importVerifyingKey, outcomeOf, readVectorJson, recordingBackend,
  toHex, vectorJsonFiles,
} from '../../test-kit/cose-vectors.js';
import type { VectorJwk } from '../../test-kit/cose-vectors.js';
import { asUnprotectedHeader, decodeProtectedHeader } from './headers.js';
import { createSign1, verifySign1 } from './sign1.js';

interface CborBlob { readonly cborHex: string; readonly cborDiag?: string }

interface GlueCase {
  readonly uuid: string;
  readonly title: string;
  readonly description: string;
  readonly key: VectorJwk;
  readonly alg: string;
  readonly 'sign1::verify'?: {
    readonly taggedCOSESign1: CborBlob;
    readonly external?: string;
    readonly detachedPayload?: string;
    readonly shouldVerify: boolean;
  };
  readonly 'sign1::sign'?: {
    readonly payload: string;
    readonly protectedHeaders?: CborBlob;
    readonly unprotectedHeaders?: CborBlob;
    readonly external?: string;
    readonly detached?: boolean;
    readonly tbsHex: CborBlob;
    readonly expectedOutput: CborBlob;
    readonly fixedOutputLength: number;
  };
}

const DIR = 'gluecose-test-vectors/';
const files = vectorJsonFiles(DIR);
const cases = files.map((file) => ({ file, vector: readVectorJson<GlueCase>(`${DIR}${file}`) }));
const verifyCases = cases.filter((c) => c.vector['sign1::verify'] !== undefined);
const signCases = cases.filter((c) => c.vector['sign1::sign'] !== undefined);
const done = { verified: 0, rejected: 0, signed: 0 };

function fieldsOf(message: Uint8Array): CborValue[] {
  const decoded = decodeCbor(message);
  if (!(decoded instanceof CborTag) || decoded.tag !== 18 || !Array.isArray(decoded.value)) throw new Error('not a tagged COSE_Sign1');
  return decoded.value;
}

describe(`gluecose-test-vectors: ${cases.length} cases — ${verifyCases.length} verify, ${signCases.length} sign (ES256)`, () => {
  it('holds the 4 ES256 cases the README lists', () => {
    expect(cases).toHaveLength(4);
    expect(cases.every((c) => c.vector.alg === 'ES256')).toBe(true);
  });

  for (const { file, vector } of verifyCases) {
    const v = vector['sign1::verify']!;
    for (const { name, create } of BACKENDS) {
      it(`[${name}] ${file} "${vector.title}" ${v.shouldVerify ? 'verifies' : 'is rejected'}`, async () => {
        const backend = create();
        const key = await importVerifyingKey(backend, vector.key);
        const outcome = await outcomeOf(() => verifySign1(fromHex(v.taggedCOSESign1.cborHex), {
          backend, key,
          ...(v.external === undefined ? {} : { externalAad: fromHex(v.external) }),
          ...(v.detachedPayload === undefined ? {} : { detachedPayload: fromHex(v.detachedPayload) }),
        }));
        if (v.shouldVerify) {
          expect(outcome.kind, describeOutcome(outcome)).toBe('value');
          if (outcome.kind === 'value') {
            expect(toHex(outcome.value.payload)).toBe(toHex(fieldsOf(fromHex(v.taggedCOSESign1.cborHex))[2] as Uint8Array));
            expect(outcome.value.alg).toBe(-7);
          }
          if (name === 'node') done.verified++;
        } else {
          expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
          if (name === 'node') done.rejected++;
        }
      });
    }
  }

  for (const { file, vector } of signCases) {
    const s = vector['sign1::sign']!;
    for (const { name, create } of BACKENDS) {
      it(`[${name}] ${file} "${vector.title}": Ward's Sig_structure equals tbsHex and its signature verifies`, async () => {
        const { backend, log } = recordingBackend(create());
        const signingKey = await importSigningKey(backend, vector.key);
        const verifyingKey = await importVerifyingKey(backend, vector.key);
        const protectedHeader = s.protectedHeaders === undefined ? new Map() : decodeProtectedHeader(fromHex(s.protectedHeaders.cborHex));
        const unprotectedHeader = s.unprotectedHeaders === undefined
          ? new Map()
          : asUnprotectedHeader(decodeCbor(fromHex(s.unprotectedHeaders.cborHex)));
        const externalAad = s.external === undefined ? undefined : fromHex(s.external);
        const payload = fromHex(s.payload);
        const message = await createSign1(payload, {
          backend, key: signingKey, protectedHeader, unprotectedHeader,
          ...(externalAad === undefined ? {} : { externalAad }),
          ...(s.detached === true ? { detached: true } : {}),
        });

        /* The to-be-signed bytes are the vector's, byte for byte. */
        expect(log.signed.map(toHex)).toEqual([s.tbsHex.cborHex.toLowerCase()]);

        /* Same protected bytes, unprotected map and payload as the reference output. */
        const ours = fieldsOf(message);
        const reference = fieldsOf(fromHex(s.expectedOutput.cborHex));
        expect(toHex(ours[0] as Uint8Array)).toBe(toHex(reference[0] as Uint8Array));
        expect(ours[1]).toEqual(reference[1]);
        expect(ours[2]).toEqual(reference[2]);
        expect((ours[3] as Uint8Array).length).toBe(64);

        const extra = {
          ...(externalAad === undefined ? {} : { externalAad }),
          ...(s.detached === true ? { detachedPayload: payload } : {}),
        };
        /* Ward's signature verifies with the vector's public key... */
        const verified = await verifySign1(message, { backend, key: verifyingKey, ...extra });
        expect(toHex(verified.payload)).toBe(s.payload.toLowerCase());
        expect(toHex(log.verified.at(-1)!)).toBe(s.tbsHex.cborHex.toLowerCase());
        /* ...and so does the reference signer's output. */
        await verifySign1(fromHex(s.expectedOutput.cborHex), { backend, key: verifyingKey, ...extra });
        if (name === 'node') done.signed++;
      });
    }
  }

  afterAll(() => {
    console.log(
      `gluecose: ${cases.length} cases — ${done.verified} verified, ${done.rejected} rejected as expected, ${done.signed} signed ` +
        '(Sig_structure = tbsHex, signature verifies), 0 not applicable',
    );
  });
});

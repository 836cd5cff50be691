/*
 * The COSE WG example messages (cose-wg/Examples, 133 JSON cases) through Ward's public COSE
 * API, on the noble and the node:crypto backend.
 *
 * Every case is classified by the features it uses:
 * - applicable and positive: the message must verify/decrypt to `input.plaintext`, and the
 *   Sig_structure / Enc_structure / KDF context / CEK Ward builds must equal the vector's
 *   intermediates;
 * - applicable and negative (`"fail": true`): Ward must reject it with the WardError code its
 *   `failures` entry implies;
 * - not applicable (a feature outside Ward's profile: ES384, ECDH-SS, AES-CCM, direct recipient,
 *   Partial IV...): when Ward has a decoder for the message's tag, that decoder must reject it
 *   with a WardError of the stated code (no crash, no plaintext). COSE_Sign and COSE_Mac have
 *   no Ward decoder; for those the Sign1/Mac0 decoders must refuse the tag. A COSE_Encrypt
 *   whose only recipient is not for the reader (a recipient algorithm Ward does not implement,
 *   another curve) is skipped, not an error by itself: the message is then rejected with
 *   ERR_DECRYPTION_FAILED, and the cause (KeyError ERR_KEY_NOT_FOUND) must give exactly the
 *   expected skip reason, e.g. "unsupported alg -6" with the alg read from the wire.
 *
 * Counts are in the describe names, and each folder logs a summary line after its tests.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { CryptoBackend, WrappingKey } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import type { WardErrorCode } from '../errors.js';
import { CborTag, decodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import {
  BACKENDS, describeOutcome, fromHex, importAgreementPrivateKey, importVerifyingKey, noRecipientReasons, octKey, outcomeOf,
  readVectorJson, recordingBackend, toHex, utf8, vectorJsonFiles, vectorSubdirs,
} from '../../test-kit/cose-vectors.js';
import type { BackendLog, VectorJwk } from '../../test-kit/cose-vectors.js';
import { decryptEncrypt } from './encrypt.js';
import type { RecipientKey } from './encrypt.js';
import { decryptEncrypt0 } from './encrypt0.js';
import { verifyMac0 } from './mac0.js';
import { verifySign1 } from './sign1.js';

/* ------------------------------------------------------------------------------------------ */
/* The example format (examples.cddl)                                                          */
/* ------------------------------------------------------------------------------------------ */

type HeaderItems = Readonly<Record<string, unknown>>;

interface Layer {
  readonly alg?: string;
  readonly key?: VectorJwk;
  readonly protected?: HeaderItems;
  readonly unprotected?: HeaderItems;
  readonly unsent?: HeaderItems;
  readonly external?: string;
  readonly recipients?: readonly Layer[];
  readonly signers?: readonly Layer[];
  readonly countersign?: unknown;
  readonly failures?: Readonly<Record<string, unknown>>;
  readonly sender_key?: VectorJwk;
}

interface Example {
  readonly title: string;
  readonly fail?: boolean;
  readonly input: {
    readonly plaintext: string;
    readonly plaintext_hex?: string;
    readonly detached?: boolean;
    readonly sign0?: Layer;
    readonly sign?: Layer;
    readonly encrypted?: Layer;
    readonly enveloped?: Layer;
    readonly mac?: Layer;
    readonly mac0?: Layer;
    readonly failures?: Readonly<Record<string, unknown>>;
  };
  readonly intermediates?: {
    readonly ToBeSign_hex?: string;
    readonly AAD_hex?: string;
    readonly CEK_hex?: string;
    readonly recipients?: readonly { readonly Context_hex?: string }[];
  };
  readonly output: { readonly cbor: string; readonly content?: string };
}

type Structure = 'COSE_Sign1' | 'COSE_Sign' | 'COSE_Mac0' | 'COSE_Mac' | 'COSE_Encrypt0' | 'COSE_Encrypt';

/** What Ward must do with a case. */
type Expectation =
  | { readonly kind: 'verify'; readonly note?: string }
  | { readonly kind: 'reject'; readonly codes: readonly WardErrorCode[]; readonly why: string }
  | {
    readonly kind: 'not-applicable';
    readonly reason: string;
    readonly codes: readonly WardErrorCode[];
    /** For ERR_DECRYPTION_FAILED from decryptEncrypt: the exact skip reasons its cause lists. */
    readonly skipped?: readonly string[];
    /** Why a negative case's own failure, not the unsupported feature, decides the code. */
    readonly decidedBy?: string;
  };

interface Case {
  readonly folder: string;
  readonly file: string;
  readonly example: Example;
  readonly structure: Structure;
  readonly expectation: Expectation;
  /** Runs Ward's decoder for the case; resolves to the payload/plaintext. */
  readonly run: (backend: CryptoBackend) => Promise<Uint8Array>;
  /** Extra checks of a verified case against the vector's intermediates. */
  readonly checkIntermediates?: (log: BackendLog, extra: { cek?: Uint8Array }) => void;
}

/* ------------------------------------------------------------------------------------------ */
/* Classification                                                                              */
/* ------------------------------------------------------------------------------------------ */

/**
 * Intermediates the upstream files get wrong, with the corrected value Ward must produce.
 * chacha-poly-enc-01 lists AAD_hex as ["Encrypt1", h'A1011818', h''] (`…7970743144…`), but
 * its ciphertext authenticates only under the RFC 9052 §5.3 context "Encrypt0"
 * (`…7970743044…`): checked independently with node:crypto's chacha20-poly1305.
 */
const INTERMEDIATE_ERRATA: ReadonlyMap<string, { readonly AAD_hex: string }> = new Map([
  ['chacha-poly-examples/chacha-poly-enc-01.json', { AAD_hex: '8368456E63727970743044A101181840' }],
]);

const SIGN1_ALGS = new Set(['ES256', 'EdDSA']);

/**
 * COSE ids (RFC 9053 §6, IANA COSE Algorithms) of the recipient algorithm names in the
 * examples that Ward does not implement. p256-ss-hkdf-512-02 names its recipient "ECDH-SS-256"
 * (its title says hkdf-sha-512) and sends alg -27, ECDH-SS + HKDF-256.
 */
const UNSUPPORTED_RECIPIENT_ALGS: ReadonlyMap<string, number> = new Map([
  ['direct', -6],
  ['HKDF-HMAC-SHA-256', -10],
  ['HKDF-HMAC-SHA-512', -11],
  ['ECDH-ES-512', -26],
  ['ECDH-SS', -27],
  ['ECDH-SS-256', -27],
  ['ECDH-SS-512', -28],
  ['ECDH-SS+A128KW', -32],
]);

/** The alg of a COSE_Encrypt's first recipient as sent (protected bucket first), tagged or not. */
function wireRecipientAlg(message: Uint8Array): CborValue | undefined {
  const decoded = decodeCbor(message);
  const fields = (decoded instanceof CborTag ? decoded.value : decoded) as CborValue[];
  const recipient = (fields[3] as CborValue[][])[0]!;
  const protectedBytes = recipient[0] as Uint8Array;
  const protectedHeader = protectedBytes.length === 0 ? new Map<CborValue, CborValue>() : decodeCbor(protectedBytes) as Map<CborValue, CborValue>;
  return protectedHeader.get(1) ?? (recipient[1] as Map<CborValue, CborValue>).get(1);
}

const CONTENT_ALGS = new Set(['A128GCM', 'A192GCM', 'A256GCM', 'ChaCha-Poly1305']);

function algOf(layer: Layer): { name: string | undefined; where: 'protected' | 'unprotected' | 'none' } {
  const p = layer.protected?.alg;
  if (typeof p === 'string') return { name: p, where: 'protected' };
  const u = layer.unprotected?.alg;
  if (typeof u === 'string') return { name: u, where: 'unprotected' };
  return { name: layer.alg, where: 'none' };
}

/**
 * What Ward refuses in an encrypted message's content layer before any key is used, in the
 * order its decoder checks: alg in the unprotected bucket, a Partial IV, a content algorithm it
 * does not implement (AES-CCM: its 13-byte nonce is never reached). Undefined when none applies.
 */
function contentLayerRefusal(layer: Layer, alg: ReturnType<typeof algOf>): Expectation | undefined {
  if (alg.where === 'unprotected') {
    return { kind: 'not-applicable', reason: 'alg in the unprotected bucket (Ward requires it protected)', codes: ['ERR_COSE_UNPROTECTED_ALG'] };
  }
  if (layer.unprotected?.partialIV_hex !== undefined) {
    return { kind: 'not-applicable', reason: `Partial IV (${alg.name})`, codes: ['ERR_UNSUPPORTED_ALGORITHM'] };
  }
  if (!CONTENT_ALGS.has(alg.name ?? '')) {
    return { kind: 'not-applicable', reason: `AES-CCM (${alg.name})`, codes: ['ERR_UNSUPPORTED_ALGORITHM'] };
  }
  return undefined;
}

function failuresOf(example: Example, layer: Layer | undefined): Readonly<Record<string, unknown>> {
  return { ...example.input.failures, ...layer?.failures };
}

function externalOf(layer: Layer): Uint8Array | undefined {
  return layer.external === undefined ? undefined : fromHex(layer.external);
}

function plaintextOf(example: Example): Uint8Array {
  return example.input.plaintext_hex !== undefined ? fromHex(example.input.plaintext_hex) : utf8(example.input.plaintext);
}

/** The codes a `failures` entry implies for an authenticated structure, or undefined. */
function failureCodes(failures: Readonly<Record<string, unknown>>, authFailure: WardErrorCode): { codes: WardErrorCode[]; why: string } | undefined {
  if ('ChangeCBORTag' in failures) return { codes: ['ERR_COSE_WRONG_TAG'], why: `CBOR tag changed to ${String(failures.ChangeCBORTag)}` };
  if ('ChangeAttr' in failures) return { codes: ['ERR_UNSUPPORTED_ALGORITHM'], why: `alg changed to ${JSON.stringify((failures.ChangeAttr as HeaderItems).alg)}` };
  if ('ChangeTag' in failures) return { codes: [authFailure], why: 'signature/tag or content byte changed' };
  if ('AddProtected' in failures) return { codes: [authFailure], why: 'protected header parameter added after signing/encryption' };
  if ('RemoveProtected' in failures) return { codes: [authFailure], why: 'protected header parameter removed after signing/encryption' };
  return undefined;
}

const isUntagged = (failures: Readonly<Record<string, unknown>>): boolean => 'RemoveCBORTag' in failures;

async function settle<T>(value: T | Promise<T>): Promise<T> {
  return isPromise(value) ? await value : value;
}

function classify(folder: string, file: string, example: Example): Case {
  const base = { folder, file, example };
  const message = fromHex(example.output.cbor);
  const { input } = example;

  /* ---- COSE_Sign1 ---- */
  if (input.sign0 !== undefined) {
    const layer = input.sign0;
    const failures = failuresOf(example, layer);
    const alg = algOf(layer);
    const key = layer.key!;
    const tagged = isUntagged(failures) ? 'optional' as const : 'required' as const;
    const externalAad = externalOf(layer);
    const detachedPayload = input.detached ? plaintextOf(example) : undefined;
    const verify = (backend: CryptoBackend, keySource: Parameters<typeof verifySign1>[1]['key']) =>
      verifySign1(message, {
        backend, key: keySource, tagged,
        ...(externalAad === undefined ? {} : { externalAad }),
        ...(detachedPayload === undefined ? {} : { detachedPayload }),
      }).then((v) => v.payload);
    let expectation: Expectation;
    let run: Case['run'] = async (backend) => verify(backend, await importVerifyingKey(backend, key));
    if (!SIGN1_ALGS.has(alg.name ?? '')) {
      expectation = { kind: 'not-applicable', reason: `${alg.name} (${key.crv})`, codes: ['ERR_UNSUPPORTED_ALGORITHM'] };
      /* The algorithm is refused before any key is looked up. */
      run = (backend) => verify(backend, () => { throw new Error('key resolver must not be called for an unsupported alg'); });
    } else if (key.crv === 'Ed448') {
      /* EdDSA is Ward's, Ed448 is not: no Ward backend can hold the key, so a key store finds none. */
      expectation = { kind: 'not-applicable', reason: 'Ed448', codes: ['ERR_KEY_NOT_FOUND'] };
      run = (backend) => verify(backend, () => undefined);
    } else if (alg.where === 'unprotected') {
      expectation = { kind: 'not-applicable', reason: 'alg in the unprotected bucket (Ward requires it protected)', codes: ['ERR_COSE_UNPROTECTED_ALG'] };
    } else {
      const failed = failureCodes(failures, 'ERR_SIGNATURE_INVALID');
      if (example.fail) {
        if (failed === undefined) throw new Error(`${file}: negative case without a known failure`);
        expectation = { kind: 'reject', ...failed };
      } else {
        expectation = { kind: 'verify', ...(tagged === 'optional' ? { note: 'untagged, decoded with tagged: optional' } : {}) };
      }
    }
    if (expectation.kind === 'not-applicable' && 'ChangeCBORTag' in failures) expectation = { ...expectation, codes: ['ERR_COSE_WRONG_TAG'] };
    const tbs = example.intermediates?.ToBeSign_hex;
    return {
      ...base, structure: 'COSE_Sign1', expectation, run,
      checkIntermediates: (log) => {
        if (tbs !== undefined) expect(log.verified.map(toHex)).toEqual([tbs.toLowerCase()]);
      },
    };
  }

  /* ---- COSE_Sign, COSE_Mac: no Ward decoder ---- */
  if (input.sign !== undefined) {
    const signerAlgs = (input.sign.signers ?? []).map((s) => algOf(s).name).join('+');
    return {
      ...base, structure: 'COSE_Sign',
      expectation: { kind: 'not-applicable', reason: `COSE_Sign (${signerAlgs})`, codes: ['ERR_COSE_WRONG_TAG'] },
      /* Sanity: the Sign1 decoder refuses the multi-signer structure by its tag. */
      run: (backend) => verifySign1(message, { backend, key: () => undefined }).then((v) => v.payload),
    };
  }
  if (input.mac !== undefined) {
    return {
      ...base, structure: 'COSE_Mac',
      expectation: { kind: 'not-applicable', reason: `COSE_Mac (${algOf(input.mac).name})`, codes: ['ERR_COSE_WRONG_TAG'] },
      run: (backend) => verifyMac0(message, { backend, key: () => undefined }).then((v) => v.payload),
    };
  }

  /* ---- COSE_Mac0 ---- */
  if (input.mac0 !== undefined) {
    const layer = input.mac0;
    const alg = algOf(layer);
    const expectation: Expectation = alg.name === 'HS256'
      ? { kind: 'verify' }
      : { kind: 'not-applicable', reason: alg.name?.startsWith('AES-MAC') ? `AES-MAC (${alg.name})` : `${alg.name}`, codes: ['ERR_UNSUPPORTED_ALGORITHM'] };
    const k = octKey(layer.recipients![0]!.key!);
    return {
      ...base, structure: 'COSE_Mac0', expectation,
      run: async (backend) => {
        const key = await settle(backend.importKey('HMAC-SHA256', 'secret', k));
        return (await verifyMac0(message, { backend, key })).payload;
      },
    };
  }

  /* ---- COSE_Encrypt0 ---- */
  if (input.encrypted !== undefined) {
    const layer = input.encrypted;
    const failures = failuresOf(example, layer);
    const alg = algOf(layer);
    const tagged = isUntagged(failures) ? 'optional' as const : 'required' as const;
    const recipient = layer.recipients![0]!;
    const k = octKey(recipient.key!);
    const externalAad = externalOf(layer);
    let expectation: Expectation;
    const refused = contentLayerRefusal(layer, alg);
    if (refused !== undefined) {
      expectation = refused;
    } else {
      const failed = failureCodes(failures, 'ERR_DECRYPTION_FAILED');
      if (example.fail) {
        if (failed === undefined) throw new Error(`${file}: negative case without a known failure`);
        expectation = { kind: 'reject', ...failed };
      } else {
        const note = [
          tagged === 'optional' ? 'untagged, decoded with tagged: optional' : '',
          INTERMEDIATE_ERRATA.has(`${folder}/${file}`) ? 'upstream AAD_hex erratum "Encrypt1" corrected to "Encrypt0"' : '',
        ].filter(Boolean).join('; ');
        expectation = { kind: 'verify', ...(note ? { note } : {}) };
      }
    }
    if (expectation.kind === 'not-applicable' && 'ChangeCBORTag' in failures) expectation = { ...expectation, codes: ['ERR_COSE_WRONG_TAG'] };
    const aead = alg.name === 'ChaCha-Poly1305' ? 'ChaCha20-Poly1305' as const : 'AES-GCM' as const;
    const aadHex = INTERMEDIATE_ERRATA.get(`${folder}/${file}`)?.AAD_hex ?? example.intermediates?.AAD_hex;
    const cekHex = example.intermediates?.CEK_hex;
    return {
      ...base, structure: 'COSE_Encrypt0', expectation,
      run: async (backend) => {
        const key = await settle(backend.importKey(aead, 'secret', k));
        return (await decryptEncrypt0(message, { backend, key, tagged, ...(externalAad === undefined ? {} : { externalAad }) })).plaintext;
      },
      checkIntermediates: (log) => {
        if (aadHex !== undefined) expect(log.aeadAad.map(toHex)).toEqual([aadHex.toLowerCase()]);
        if (cekHex !== undefined) expect(toHex(k)).toBe(cekHex.toLowerCase());
      },
    };
  }

  /* ---- COSE_Encrypt ---- */
  if (input.enveloped !== undefined) {
    const layer = input.enveloped;
    const failures = failuresOf(example, layer);
    const alg = algOf(layer);
    const tagged = isUntagged(failures) ? 'optional' as const : 'required' as const;
    const externalAad = externalOf(layer);
    const recipients = layer.recipients ?? [];
    if (recipients.length !== 1) throw new Error(`${file}: expected one recipient`);
    const recipient = recipients[0]!;
    const rAlg = algOf(recipient).name ?? '';
    const rKey = recipient.key;
    const curve = rKey?.crv;

    let expectation: Expectation | undefined;
    let reader: (backend: CryptoBackend) => Promise<RecipientKey>;
    const kid = rKey?.kid === undefined ? {} : { kid: utf8(rKey.kid) };
    if (rKey !== undefined && (curve === 'P-256' || curve === 'X25519')) {
      reader = async (backend) => ({ privateKey: await importAgreementPrivateKey(backend, rKey), ...kid });
    } else if (rKey !== undefined && rKey.kty === 'EC') {
      /* A P-521 key has no Ward handle: the reader holds a P-256 key instead. */
      reader = async (backend) => ({ privateKey: await settle(backend.generateKey('ECDH-P256')) });
    } else {
      reader = async (backend) => {
        const raw = rKey?.kty === 'oct' ? octKey(rKey) : undefined;
        const kek: WrappingKey = raw !== undefined && [16, 24, 32].includes(raw.length)
          ? await settle(backend.importKey('AES-KW', 'secret', raw))
          : await settle(backend.generateKey('AES-KW'));
        return { kek };
      };
    }

    /* The content layer is checked before any recipient. */
    const refused = contentLayerRefusal(layer, alg);
    if (refused !== undefined) {
      expectation = refused;
    } else if (recipient.recipients !== undefined) {
      expectation = { kind: 'not-applicable', reason: 'two-layer recipient (nested COSE_recipient)', codes: ['ERR_COSE_MALFORMED'] };
    } else if (UNSUPPORTED_RECIPIENT_ALGS.has(rAlg)) {
      /*
       * A recipient in an algorithm Ward does not implement is for another reader: it is
       * skipped, and with no other recipient nothing yields a CEK. The cause names the alg as
       * sent, which must be the id of the vector's alg name.
       */
      const id = UNSUPPORTED_RECIPIENT_ALGS.get(rAlg)!;
      const wire = wireRecipientAlg(message);
      if (wire !== id) throw new Error(`${file}: recipient alg ${rAlg} should be ${id} on the wire, found ${String(wire)}`);
      const skipped = [`unsupported alg ${id}`];
      const reason = rAlg === 'direct'
        ? 'direct (-6) recipient'
        : rAlg.startsWith('ECDH-SS')
          ? `ECDH-SS (${rAlg} = ${id}, ${curve})`
          : rAlg === 'ECDH-ES-512' ? `ECDH-ES + HKDF-512 (${id}, ${curve})` : `direct + ${rAlg} (${id})`;
      expectation = { kind: 'not-applicable', reason, codes: ['ERR_DECRYPTION_FAILED'], skipped };
    } else if (rAlg === 'ECDH-ES' && curve === 'P-521') {
      /* The reader (a P-256 key) finds no recipient on its curve. */
      expectation = { kind: 'not-applicable', reason: 'ECDH-ES on P-521', codes: ['ERR_DECRYPTION_FAILED'], skipped: ['another curve'] };
    } else if (rAlg === 'ECDH-ES' && (curve === 'P-256' || curve === 'X25519')) {
      const failed = failureCodes(failures, 'ERR_DECRYPTION_FAILED');
      if (example.fail) {
        if (failed === undefined) throw new Error(`${file}: negative case without a known failure`);
        expectation = { kind: 'reject', ...failed };
      } else {
        const note = [
          layer.countersign !== undefined ? 'counter signature (label 7, not critical) ignored' : '',
          tagged === 'optional' ? 'untagged, decoded with tagged: optional' : '',
        ].filter(Boolean).join('; ');
        expectation = { kind: 'verify', ...(note ? { note } : {}) };
      }
    }
    if (expectation === undefined) throw new Error(`${file}: unclassified recipient ${rAlg} ${curve ?? ''}`);
    /* The tag is checked before anything else: a changed tag decides the error. */
    if (expectation.kind === 'not-applicable' && 'ChangeCBORTag' in failures) {
      expectation = { kind: 'not-applicable', reason: expectation.reason, codes: ['ERR_COSE_WRONG_TAG'] };
    }
    /* The content alg is checked before any recipient is looked at: a changed one decides the error. */
    const changed = failureCodes(failures, 'ERR_DECRYPTION_FAILED');
    if (expectation.kind === 'not-applicable' && 'ChangeAttr' in failures && changed !== undefined) {
      expectation = { kind: 'not-applicable', reason: expectation.reason, codes: changed.codes, decidedBy: `content ${changed.why}` };
    }

    const aadHex = example.intermediates?.AAD_hex;
    const cekHex = example.intermediates?.CEK_hex;
    const contextHex = example.intermediates?.recipients?.[0]?.Context_hex;
    let cek: Uint8Array | undefined;
    return {
      ...base, structure: 'COSE_Encrypt', expectation,
      run: async (backend) => {
        const decrypted = await decryptEncrypt(message, {
          backend, recipient: await reader(backend), tagged,
          ...(externalAad === undefined ? {} : { externalAad }),
          checkContentKey: (contentKey) => { cek = contentKey.slice(); },
        });
        return decrypted.plaintext;
      },
      checkIntermediates: (log) => {
        if (aadHex !== undefined) expect(log.aeadAad.map(toHex)).toEqual([aadHex.toLowerCase()]);
        if (cekHex !== undefined) expect(cek === undefined ? undefined : toHex(cek)).toBe(cekHex.toLowerCase());
        if (contextHex !== undefined) expect(log.hkdfInfo.map(toHex)).toEqual([contextHex.toLowerCase()]);
      },
    };
  }
  throw new Error(`${file}: unknown structure`);
}

/* ------------------------------------------------------------------------------------------ */
/* Collection                                                                                  */
/* ------------------------------------------------------------------------------------------ */

const ROOT = 'cose-wg-examples/';
const folders = vectorSubdirs(ROOT);
const casesByFolder = new Map<string, Case[]>(
  folders.map((folder) => [
    folder,
    vectorJsonFiles(`${ROOT}${folder}/`).map((file) => classify(folder, file, readVectorJson<Example>(`${ROOT}${folder}/${file}`))),
  ]),
);
const allCases = [...casesByFolder.values()].flat();

interface Tally { verified: number; rejected: number; notApplicable: number; reasons: Map<string, number>; codes: Map<string, number> }
const newTally = (): Tally => ({ verified: 0, rejected: 0, notApplicable: 0, reasons: new Map(), codes: new Map() });
const bump = (map: Map<string, number>, key: string): void => { map.set(key, (map.get(key) ?? 0) + 1); };
const grand = newTally();

function plannedCounts(cases: readonly Case[]): string {
  const verify = cases.filter((c) => c.expectation.kind === 'verify').length;
  const reject = cases.filter((c) => c.expectation.kind === 'reject').length;
  const na = cases.filter((c) => c.expectation.kind === 'not-applicable').length;
  return `${cases.length} cases — ${verify} to verify, ${reject} to reject, ${na} not applicable`;
}

function formatTally(t: Tally, total: number): string {
  const reasons = [...t.reasons].map(([r, n]) => `${r} ×${n}`).join(', ');
  return `${total} cases — ${t.verified} verified, ${t.rejected} rejected as expected, ${t.notApplicable} not applicable${reasons ? ` (${reasons})` : ''}`;
}

describe(`cose-wg-examples: ${plannedCounts(allCases)}`, () => {
  it('holds the 133 cases the README lists', () => {
    expect(allCases).toHaveLength(133);
    expect(allCases.filter((c) => c.example.fail === true)).toHaveLength(26);
  });

  for (const [folder, cases] of casesByFolder) {
    describe(`cose-wg ${folder}: ${plannedCounts(cases)}`, () => {
      /* Per case: the outcome on each backend; the case counts once both agree with the plan. */
      const done = new Map<string, Set<string>>();
      const tally = newTally();

      for (const c of cases) {
        const e = c.expectation;
        const what = e.kind === 'verify'
          ? `verifies${e.note ? ` (${e.note})` : ''}`
          : e.kind === 'reject'
            ? `is rejected: ${e.why} → ${e.codes.join('|')}`
            : `not applicable: ${e.reason} → rejected with ${e.codes.join('|')}${e.skipped ? ` (no recipient: ${e.skipped.join('; ')})` : ''}${e.decidedBy ? ` (${e.decidedBy})` : ''}`;
        for (const { name, create } of BACKENDS) {
          it(`[${name}] ${c.structure} ${c.file} "${c.example.title}" ${what}`, async () => {
            const { backend, log } = recordingBackend(create());
            const outcome = await outcomeOf(() => c.run(backend));
            if (e.kind === 'verify') {
              expect(outcome.kind, describeOutcome(outcome)).toBe('value');
              if (outcome.kind === 'value') expect(toHex(outcome.value)).toBe(toHex(plaintextOf(c.example)));
              c.checkIntermediates?.(log, {});
            } else {
              expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
              if (outcome.kind === 'ward') expect(e.codes, describeOutcome(outcome)).toContain(outcome.code);
              if (e.kind === 'not-applicable' && e.skipped !== undefined) expect(noRecipientReasons(outcome)).toEqual(e.skipped);
            }
            const seen = done.get(c.file) ?? new Set<string>();
            seen.add(name);
            done.set(c.file, seen);
            if (seen.size === BACKENDS.length) {
              for (const t of [tally, grand]) {
                if (e.kind === 'verify') t.verified++;
                else if (e.kind === 'reject') t.rejected++;
                else {
                  t.notApplicable++;
                  bump(t.reasons, e.reason.replace(/ \(.*\)$/, ''));
                }
                if (outcome.kind === 'ward') bump(t.codes, outcome.code);
              }
            }
          });
        }
      }

      afterAll(() => {
        console.log(`cose-wg ${folder}: ${formatTally(tally, cases.length)}; codes ${JSON.stringify(Object.fromEntries(tally.codes))}`);
      });
    });
  }

  afterAll(() => {
    console.log(`cose-wg TOTAL: ${formatTally(grand, allCases.length)}; codes ${JSON.stringify(Object.fromEntries(grand.codes))}`);
  });
});

/*
 * sealEnvelope(): Ward's default for data (DESIGN.md principle 2; SPEC.md §Sealed envelope). A
 * COSE_Sign1 whose payload is a COSE_Encrypt0 or COSE_Encrypt, with provenance and access
 * attributes in the signed protected header, the signed header bound into the encryption's
 * external AAD, and (for COSE_Encrypt) a signed commitment to the content key and a detached
 * ciphertext bound by its signed digest.
 */
import { EncodedCbor, encodeFrame } from '../cbor/index.js';
import type { AeadKey, CryptoBackend, SigningKey } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { assertBytes, checkBackendOptions, checkKeyHandleOption, describeValue, notAKeyHandle } from '../backend/validate.js';
import { ArgumentError, UnsupportedAlgorithmError } from '../errors.js';
import { CONTENT_ALGORITHMS, CoseAlgorithm } from '../cose/algorithms.js';
import { encryptContentLayer } from '../cose/encrypt.js';
import { checkRecipientSpecs } from '../cose/key-lookup.js';
import type { RecipientSpec } from '../cose/encrypt.js';
import { createEncrypt0 } from '../cose/encrypt0.js';
import { HeaderLabel, encodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { CoseTag, DEFAULT_MAX_HEADER_BYTES } from '../cose/message.js';
import { signEncodedSign1, signSign1Structure, signatureAlgorithmOf } from '../cose/sign1.js';
import { commitToContentKey } from './commitment.js';
import { concatBytes } from '../bytes.js';
import { ciphertextDigest, sealedParts } from './detached.js';
import { ContentFormat, WardHeaderLabel } from '../profile/labels.js';
import { encodeAttributes, encodeClaims } from '../profile/claims.js';
import type { AccessAttributes, ProvenanceInput } from '../profile/facts.js';

const ENVELOPE_ID_LENGTH = 16;
const SEAL_CONTEXT = 'Ward sealed v1';

/** The producer's signing identity. */
export interface EnvelopeSigner {
  /** Ed25519 (default profile) or ECDSA P-256 signing key. */
  readonly key: SigningKey;
  /** The key id verifiers look the public key up by (a COSE_Key thumbprint, RFC 9679). */
  readonly kid: Uint8Array;
  /**
   * How the envelope's `alg` names the signature algorithm: `'polymorphic'` (EdDSA -8, ES256
   * -7), the default because go-cose 1.3 and pycose 1.1 know only these, or `'fully-specified'`
   * (Ed25519 -19, ESP256 -9; RFC 9864). Ward's readers accept both (SPEC.md §2).
   */
  readonly algIdentifier?: 'polymorphic' | 'fully-specified';
}

/** A shared content key for the single-key (COSE_Encrypt0) form. */
export interface SharedContentKey {
  /** The AEAD key every reader holds. */
  readonly key: AeadKey;
  /** Its key id, so readers find it. */
  readonly kid: Uint8Array;
}

/** Options of {@link sealEnvelope}: exactly one of `recipients` and `key`. */
export interface SealOptions {
  /** The backend for every operation. */
  readonly backend: CryptoBackend;
  /** The producer's signing key and its kid. */
  readonly signer: EnvelopeSigner;
  /** Readers, each with their own key (COSE_Encrypt). */
  readonly recipients?: readonly RecipientSpec[];
  /** One shared key (COSE_Encrypt0). */
  readonly key?: SharedContentKey;
  /** Provenance: issuer, subject, sequence; `issuedAt` and `id` default to now and random. */
  readonly claims: ProvenanceInput;
  /** Access attributes the policy decides on. */
  readonly attributes: AccessAttributes;
  /**
   * Content algorithm for `recipients`: `CoseAlgorithm.A256GCM` (default) or
   * `CoseAlgorithm.ChaCha20Poly1305`. With `key`, the key fixes it.
   */
  readonly contentAlgorithm?: number;
  /**
   * The largest signed header sealEnvelope() writes, in bytes; default {@link DEFAULT_MAX_HEADER_BYTES},
   * the ceiling every reader applies by default (`maxHeaderBytes` of `verifyEnvelope()` and `openEnvelope()`).
   * Raise it only together with your readers' limit.
   */
  readonly maxHeaderBytes?: number;
}

/**
 * The external AAD of the inner encryption: the signed protected header under a context
 * string. It enters the AEAD through RFC 9052 §5.3's Enc_structure (`external_aad`) and
 * binds the signer's kid, provenance, attributes and key commitment into the ciphertext, so
 * the inner message cannot be stripped of its signature and re-signed by someone else, or
 * moved under other attributes (SPEC.md §AAD binding).
 */
export function sealExternalAad(sign1ProtectedBytes: Uint8Array): Uint8Array {
  return encodeFrame([SEAL_CONTEXT, sign1ProtectedBytes]);
}

async function randomId(backend: CryptoBackend): Promise<Uint8Array> {
  const id = backend.randomBytes(ENVELOPE_ID_LENGTH);
  return isPromise(id) ? await id : id;
}

/**
 * Seals `payload`: encrypts it for the readers, then signs the encrypted message together
 * with provenance and access attributes. Anyone with the producer's public key can verify
 * origin and attributes without any decryption key ({@link verifyEnvelope}); only a reader the
 * policy allows can {@link openEnvelope} it.
 *
 * @param payload - the data, e.g. a CBOR or JSON reading
 * @param options - backend, signer, readers (`recipients` or shared `key`), claims, attributes
 * @returns the encoded envelope (a tagged COSE_Sign1)
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for missing options, a missing or wrong
 *   `backend`, `signer`, `claims`, `attributes`, `key` or `recipients` (the message names which,
 *   and the fix for a keyset, COSE_Key or raw bytes passed as a key), bad claims or attributes,
 *   an unknown `signer.algIdentifier`, or not exactly one of `recipients` / `key`
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for an unknown content algorithm
 * @throws {@link KeyError} for a key of the wrong kind or backend
 * @example
 * ```ts
 * import { createNobleBackend, sealEnvelope } from '@ward/core';
 *
 * const envelope = await sealEnvelope(new TextEncoder().encode('{"count":42}'), {
 *   backend,
 *   signer: { key: counterSigningKey, kid: counterKid },
 *   recipients: [{ publicKey: analystKey, kid: analystKid }],
 *   claims: { issuer: 'footfall-counter-17', subject: 'footfall/market-square', sequence: 1041 },
 *   attributes: { classification: 'internal', zone: 'market-square', purpose: ['planning'] },
 * });
 * ```
 */
export async function sealEnvelope(payload: Uint8Array, options: SealOptions): Promise<Uint8Array> {
  assertBytes(payload, 'payload');
  checkSealOptions(options);
  const { backend, signer } = options;
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes <= 0) throw new ArgumentError(`sealEnvelope() options.maxHeaderBytes must be a positive integer, got ${describeValue(options.maxHeaderBytes)}`);
  signatureAlgorithmOf(signer.key, signer.algIdentifier); // an unknown algIdentifier fails before any work
  if ((options.recipients === undefined) === (options.key === undefined)) {
    throw new ArgumentError('seal needs exactly one of recipients and key');
  }
  const claims = encodeClaims(
    options.claims,
    options.claims.issuedAt ?? Math.floor(Date.now() / 1000),
    options.claims.id ?? (await randomId(backend)),
  );
  const protectedHeader: HeaderMap = new Map();
  protectedHeader.set(HeaderLabel.cwtClaims, claims);
  protectedHeader.set(WardHeaderLabel.attributes, encodeAttributes(options.attributes));

  if (options.key !== undefined) {
    const { key, kid } = options.key;
    protectedHeader.set(HeaderLabel.contentType, ContentFormat.encrypt0);
    const sign1Protected = finalProtected(protectedHeader, signer, maxHeaderBytes);
    const inner = await createEncrypt0(payload, { backend, key, kid, externalAad: sealExternalAad(sign1Protected) });
    return signEncodedSign1(inner, sign1Protected, new Map(), { backend, key: signer.key });
  }
  const contentAlg = options.contentAlgorithm ?? CoseAlgorithm.A256GCM;
  const content = CONTENT_ALGORITHMS.get(contentAlg);
  if (content === undefined) throw new UnsupportedAlgorithmError(`COSE content algorithm ${contentAlg} is not supported`);
  protectedHeader.set(HeaderLabel.contentType, ContentFormat.encrypt);
  let sign1Protected: Uint8Array | undefined;
  const layer = await encryptContentLayer(payload, {
    backend,
    recipients: options.recipients!,
    contentAlgorithm: contentAlg,
    /* The CEK exists now (random, or derived for a direct recipient): commit to it, sign over the commitment. */
    externalAad: async (contentKey) => {
      protectedHeader.set(WardHeaderLabel.keyCommitment, await commitToContentKey(backend, contentKey));
      sign1Protected = finalProtected(protectedHeader, signer, maxHeaderBytes);
      return sealExternalAad(sign1Protected);
    },
  });
  /* SPEC.md §Detached ciphertext: the signed COSE_Encrypt holds the ciphertext's digest, not the ciphertext. */
  const unprotectedHeader: HeaderMap = new Map(layer.unprotectedHeader);
  unprotectedHeader.set(WardHeaderLabel.ciphertextDigest, await ciphertextDigest(backend, layer.ciphertext));
  const inner = encodeFrame(
    [layer.protectedBytes, EncodedCbor.of(unprotectedHeader), null, EncodedCbor.of(layer.recipients)],
    CoseTag.Encrypt,
  );
  const signature = await signSign1Structure(inner, sign1Protected!, { backend, key: signer.key });
  return concatBytes(sealedParts(sign1Protected!, layer.ciphertext, inner, signature));
}

/** Names the missing or wrong option of sealEnvelope(), and the fix for the common mistakes. */
function checkSealOptions(options: SealOptions): void {
  checkBackendOptions(options, 'sealEnvelope');
  const { signer, claims, attributes, key, recipients } = options;
  if (typeof signer !== 'object' || signer === null) {
    throw new ArgumentError(`sealEnvelope() options.signer must be { key, kid } (e.g. keyset.signer()), got ${describeValue(signer)}`);
  }
  checkKeyHandleOption(signer.key, 'sealEnvelope() options.signer.key');
  assertBytes(signer.kid, 'sealEnvelope() options.signer.kid');
  if (typeof claims !== 'object' || claims === null) throw new ArgumentError(`sealEnvelope() options.claims must be { issuer, subject, sequence }, got ${describeValue(claims)}`);
  if (typeof attributes !== 'object' || attributes === null) throw new ArgumentError(`sealEnvelope() options.attributes must be { classification, … }, got ${describeValue(attributes)}`);
  if (key !== undefined) {
    if (typeof key !== 'object' || key === null || !('key' in key)) {
      const fix = notAKeyHandle(key) !== undefined ? '' : ': wrap the handle as { key, kid } (keyset.sharedKey() gives both)';
      throw new ArgumentError(`sealEnvelope() options.key must be { key, kid }${fix}`);
    }
    checkKeyHandleOption(key.key, 'sealEnvelope() options.key.key');
    assertBytes(key.kid, 'sealEnvelope() options.key.kid');
  }
  if (recipients !== undefined) checkRecipientSpecs(recipients, 'sealEnvelope() options.recipients');
}

/*
 * The complete Sign1 protected bucket (alg and kid added), encoded once: the inner encryption
 * binds these bytes before the signature over them exists.
 */
function finalProtected(protectedHeader: HeaderMap, signer: EnvelopeSigner, maxHeaderBytes: number): Uint8Array {
  protectedHeader.set(HeaderLabel.alg, signatureAlgorithmOf(signer.key, signer.algIdentifier));
  protectedHeader.set(HeaderLabel.kid, signer.kid);
  const bytes = encodeProtectedHeader(protectedHeader);
  /* What the reader enforces, the writer enforces (SPEC.md §7): every text and count can be
   * within its own limit while the header as a whole is beyond what readers decode. */
  if (bytes.length > maxHeaderBytes) {
    throw new ArgumentError(`the signed header is ${bytes.length} bytes, over maxHeaderBytes (${maxHeaderBytes}) that readers decode by default: use fewer or shorter attributes`);
  }
  return bytes;
}

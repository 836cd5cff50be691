/*
 * COSE_Encrypt (RFC 9052 §5.1): content encrypted once under a random content-encryption key
 * (CEK), and one COSE_recipient per reader that carries the CEK:
 *
 * - A128KW / A192KW / A256KW (RFC 9053 §6.2.1): the CEK wrapped under a shared KEK;
 * - ECDH-ES + A128KW/A192KW/A256KW (RFC 9053 §6.4): a fresh ephemeral key per recipient,
 *   ECDH with the recipient's static key, HKDF-SHA-256 over the COSE_KDF_Context to a KEK,
 *   then AES key wrap of the CEK;
 * - ECDH-ES + HKDF-256 (RFC 9053 §6.3.1): direct key agreement; the CEK is the HKDF output,
 *   so it is allowed only as the single recipient (RFC 9052 §5.1).
 */
import { EncodedCbor, encodeCbor, encodeFrame } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import type {
  AeadKey, AgreementPrivateKey, AgreementPublicKey, CryptoBackend, KeyAgreementAlgorithm, MaybePromise, WrappingKey,
} from '../backend/crypto-backend.js';
import { settle } from '../backend/crypto-backend.js';
import { assertBytes, checkBackendOptions } from '../backend/validate.js';
import { ArgumentError, CoseError, DecryptionError, KeyError, UnsupportedAlgorithmError, WardError } from '../errors.js';
import { CONTENT_ALGORITHMS, CoseAlgorithm, ECDH_KEY_WRAP_ALGORITHMS, KEY_WRAP_ALGORITHMS } from './algorithms.js';
import { CONTENT_UNDERSTOOD, checkContentKey, encStructure, freshIv, ivOf } from './content.js';
import { agreementAlgorithmOfCose, agreementPublicKeyFromCose, agreementPublicKeyToCose } from './cose-key.js';
import { HeaderLabel, checkHeaders, encodeProtectedHeader } from './headers.js';
import type { HeaderMap } from './headers.js';
import { checkRecipientSource, checkRecipientSpecs, kidOf } from './key-lookup.js';
import { CoseTag, bytesField, decodeHeaderPair, decodeLayer } from './message.js';
import type { CoseDecodeOptions, DecodedHeaders, DecodedLayer } from './message.js';
import { sameBytes } from '../bytes.js';

const EMPTY = new Uint8Array(0);

/** Default ceiling on recipients per message, checked before any recipient is processed. */
export const DEFAULT_MAX_RECIPIENTS = 64;

const RECIPIENT_UNDERSTOOD: ReadonlySet<number | string> = new Set([
  HeaderLabel.alg, HeaderLabel.crit, HeaderLabel.kid, HeaderLabel.ephemeralKey, HeaderLabel.salt,
]);

/** A recipient who holds a symmetric key-encryption key (A128KW / A192KW / A256KW by its size). */
export interface KeyWrapRecipient {
  /** The shared AES-KW key-encryption key. */
  readonly kek: WrappingKey;
  /** The KEK's id, written in the recipient's unprotected bucket. */
  readonly kid?: Uint8Array;
}

/** A recipient reached by ECDH-ES with its static public key (X25519 or P-256). */
export interface KeyAgreementRecipient {
  /** The recipient's static ECDH public key. */
  readonly publicKey: AgreementPublicKey;
  /** The recipient key's id. */
  readonly kid?: Uint8Array;
  /**
   * `key-wrap` (default): ECDH-ES+A256KW, any number of recipients. `direct`:
   * ECDH-ES+HKDF-256, only as the single recipient.
   */
  readonly mode?: 'key-wrap' | 'direct';
}

/** Any recipient {@link createEncrypt} can address. */
export type RecipientSpec = KeyWrapRecipient | KeyAgreementRecipient;

/** The key a reader offers to {@link decryptEncrypt}. */
export type RecipientKey =
  | { readonly kek: WrappingKey; readonly kid?: Uint8Array }
  | { readonly privateKey: AgreementPrivateKey; readonly kid?: Uint8Array };

/** What a recipient resolver learns about one COSE_recipient before it has a key. */
export interface RecipientLookup {
  /** The recipient's key id (protected first, then unprotected); unauthenticated, a hint only. */
  readonly kid: Uint8Array | undefined;
  /** The recipient's COSE algorithm (A256KW, ECDH-ES+A256KW…). */
  readonly alg: number;
}

/**
 * A reader's key, or a function that picks one per recipient structure (for example from a
 * keyset by kid). Returning `undefined` skips the structure; throwing a `KeyError` (a revoked
 * or destroyed key) skips it too, and becomes the cause of the final failure if no other
 * structure opens.
 */
export type RecipientSource = RecipientKey | ((lookup: RecipientLookup) => MaybePromise<RecipientKey | undefined>);

/** Options of {@link createEncrypt}. */
export interface CreateEncryptOptions {
  /** The backend for every operation. */
  readonly backend: CryptoBackend;
  /** One or more recipients. */
  readonly recipients: readonly RecipientSpec[];
  /** Content algorithm: `A256GCM` (default) or `ChaCha20Poly1305` (also A128GCM/A192GCM). */
  readonly contentAlgorithm?: number;
  /** Further protected parameters of the content layer. */
  readonly protectedHeader?: HeaderMap;
  /** Further unprotected parameters of the content layer; the IV is added here. */
  readonly unprotectedHeader?: HeaderMap;
  /**
   * External AAD; empty by default. A function receives the raw CEK once it exists (drawn at
   * random, or derived for a direct recipient) and returns the AAD: layers that must commit
   * to the CEK, like the sealed envelope, bind it this way. The CEK is wiped afterwards.
   */
  readonly externalAad?: Uint8Array | ((contentKey: Uint8Array) => MaybePromise<Uint8Array>);
}

/** Options of {@link decryptEncrypt}. */
export interface DecryptEncryptOptions extends CoseDecodeOptions {
  /** The backend for every operation. */
  readonly backend: CryptoBackend;
  /**
   * The reader's key (recipients whose `kid` differs from a given `kid` are skipped), or a
   * resolver by each recipient's kid and alg.
   */
  readonly recipient: RecipientSource;
  /** External AAD the sender used; empty by default. */
  readonly externalAad?: Uint8Array;
  /** Most recipients accepted in one message (default {@link DEFAULT_MAX_RECIPIENTS}). */
  readonly maxRecipients?: number;
  /**
   * Called with the raw CEK after it was recovered and before the content is decrypted; throw
   * to refuse it (the sealed envelope checks its key commitment here). The bytes are wiped
   * after the call.
   */
  readonly checkContentKey?: (contentKey: Uint8Array) => MaybePromise<void>;
  /**
   * The ciphertext of a message whose ciphertext is detached (`nil`, RFC 9052 §5.1), from
   * wherever the application carries it. Required for a detached message; refused for an
   * attached one.
   */
  readonly detachedCiphertext?: Uint8Array;
}

/** A decrypted COSE_Encrypt. */
export interface DecryptedEncrypt {
  /** The plaintext, released only after every check passed. */
  readonly plaintext: Uint8Array;
  /** The content algorithm. */
  readonly alg: number;
  /** The decoded protected bucket of the content layer. */
  readonly protectedHeader: HeaderMap;
  /** The unprotected bucket of the content layer (not authenticated). */
  readonly unprotectedHeader: HeaderMap;
  /** The `alg` of the recipient structure that yielded the CEK. */
  readonly recipientAlg: number;
}

/**
 * COSE_KDF_Context (RFC 9053 §5.2) with empty PartyU/PartyV info, as every ECDH-ES recipient
 * in Ward's profile uses: [AlgorithmID, [nil,nil,nil], [nil,nil,nil], [keyDataLength, protected]].
 */
function kdfContext(algorithmId: number, keyBytes: number, recipientProtected: Uint8Array, header: HeaderMap): Uint8Array {
  const party = (identity: number, nonce: number, other: number): CborValue[] => [
    header.get(identity) ?? null, header.get(nonce) ?? null, header.get(other) ?? null,
  ];
  return encodeCbor([
    algorithmId,
    party(HeaderLabel.partyUIdentity, HeaderLabel.partyUNonce, HeaderLabel.partyUOther),
    party(HeaderLabel.partyVIdentity, HeaderLabel.partyVNonce, HeaderLabel.partyVOther),
    [keyBytes * 8, recipientProtected],
  ]);
}

function keyWrapAlgorithmOf(kek: WrappingKey): number {
  switch (kek.size) {
    case 16: return CoseAlgorithm.A128KW;
    case 24: return CoseAlgorithm.A192KW;
    default: return CoseAlgorithm.A256KW;
  }
}

function isAgreement(spec: RecipientSpec | RecipientKey): spec is KeyAgreementRecipient {
  return 'publicKey' in spec;
}

/** Derives an HKDF-SHA-256 key for a recipient layer from an ECDH secret, wiping the secret. */
async function agreeAndDerive(
  backend: CryptoBackend,
  privateKey: AgreementPrivateKey,
  publicKey: AgreementPublicKey,
  length: number,
  info: Uint8Array,
  salt: Uint8Array | undefined,
): Promise<Uint8Array> {
  const shared = await settle(backend.deriveSharedSecret(privateKey, publicKey));
  try {
    return await settle(backend.hkdfSha256(salt === undefined ? { ikm: shared, info, length } : { ikm: shared, salt, info, length }));
  } finally {
    shared.fill(0);
  }
}

/**
 * Builds one recipient structure carrying `cek` (or, for direct mode, deriving it). Internal:
 * exported for tests that assemble hostile messages from Ward's own recipient encoding.
 */
export async function buildRecipient(
  backend: CryptoBackend,
  spec: RecipientSpec,
  cek: Uint8Array | undefined,
  contentAlg: number,
  cekLength: number,
): Promise<{ structure: CborValue[]; derivedCek?: Uint8Array }> {
  const unprotectedHeader: HeaderMap = new Map();
  if (spec.kid !== undefined) unprotectedHeader.set(HeaderLabel.kid, spec.kid);
  if (!isAgreement(spec)) {
    /* RFC 9053 §6.2.1: key wrap recipients have an empty protected bucket. */
    unprotectedHeader.set(HeaderLabel.alg, keyWrapAlgorithmOf(spec.kek));
    const wrapped = await settle(backend.wrapKey(spec.kek, cek!));
    return { structure: [EMPTY, unprotectedHeader, wrapped] };
  }
  const algorithm: KeyAgreementAlgorithm = spec.publicKey.algorithm;
  const direct = spec.mode === 'direct';
  const alg = direct ? CoseAlgorithm.ECDH_ES_HKDF_256 : CoseAlgorithm.ECDH_ES_A256KW;
  const protectedHeader: HeaderMap = new Map([[HeaderLabel.alg, alg]]);
  const protectedBytes = encodeProtectedHeader(protectedHeader);
  /* A fresh ephemeral key per recipient and message (RFC 9053 §6.3.1: "ES" = ephemeral-static). */
  const ephemeral = await settle(backend.generateKey(algorithm));
  const ephemeralPublic = await settle(backend.exportKey(await settle(backend.publicKey(ephemeral))));
  unprotectedHeader.set(HeaderLabel.ephemeralKey, agreementPublicKeyToCose(algorithm, ephemeralPublic));
  const keyLength = direct ? cekLength : 32;
  const info = kdfContext(direct ? contentAlg : CoseAlgorithm.A256KW, keyLength, protectedBytes, protectedHeader);
  const derived = await agreeAndDerive(backend, ephemeral, spec.publicKey, keyLength, info, undefined);
  if (direct) return { structure: [protectedBytes, unprotectedHeader, EMPTY], derivedCek: derived };
  try {
    const kek = await settle(backend.importKey('AES-KW', 'secret', derived));
    return { structure: [protectedBytes, unprotectedHeader, await settle(backend.wrapKey(kek, cek!))] };
  } finally {
    derived.fill(0);
  }
}

/**
 * Encrypts `plaintext` as a tagged COSE_Encrypt for one or more recipients. The content is
 * encrypted once; each recipient gets the CEK wrapped for it.
 *
 * @param plaintext - the bytes to encrypt
 * @param options - backend, recipients, content algorithm, headers, external AAD
 * @returns the encoded COSE_Encrypt (CBOR tag 96)
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for missing options or backend, no
 *   recipients, a recipient that is not `{ publicKey }` / `{ kek }` (a keyset itself, a private
 *   key as `publicKey`), or a `direct` recipient among others
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for an unknown content algorithm
 * @throws {@link KeyError} for a recipient key of the wrong kind or backend
 * @example
 * ```ts
 * const message = await createEncrypt(reading, {
 *   backend,
 *   recipients: [{ publicKey: analystKey, kid: analystKid }, { publicKey: auditorKey, kid: auditorKid }],
 * });
 * ```
 */
export async function createEncrypt(plaintext: Uint8Array, options: CreateEncryptOptions): Promise<Uint8Array> {
  checkBackendOptions(options, 'createEncrypt');
  checkRecipientSpecs(options.recipients, 'createEncrypt() options.recipients');
  const layer = await encryptContentLayer(plaintext, options);
  return encodeFrame(
    [layer.protectedBytes, EncodedCbor.of(layer.unprotectedHeader), layer.ciphertext, EncodedCbor.of(layer.recipients)],
    CoseTag.Encrypt,
  );
}

/** The parts of a COSE_Encrypt before they are framed (internal: the sealed envelope detaches the ciphertext). */
export interface EncryptedContentLayer {
  readonly protectedBytes: Uint8Array;
  /** The content layer's unprotected bucket, IV included; the caller may add parameters. */
  readonly unprotectedHeader: HeaderMap;
  readonly ciphertext: Uint8Array;
  /** The COSE_recipient structures. */
  readonly recipients: CborValue[];
}

/** Encrypts the content once and wraps the CEK for every recipient: a COSE_Encrypt's parts. Internal to core. */
export async function encryptContentLayer(plaintext: Uint8Array, options: CreateEncryptOptions): Promise<EncryptedContentLayer> {
  assertBytes(plaintext, 'plaintext');
  const { backend, recipients } = options;
  const contentAlg = options.contentAlgorithm ?? CoseAlgorithm.A256GCM;
  const content = CONTENT_ALGORITHMS.get(contentAlg);
  if (content === undefined) throw new UnsupportedAlgorithmError(`COSE content algorithm ${contentAlg} is not supported`);
  if (recipients.length === 0) throw new ArgumentError('COSE_Encrypt needs at least one recipient');
  const direct = recipients.some((r) => isAgreement(r) && r.mode === 'direct');
  /* RFC 9052 §5.1: a direct key agreement recipient must be the only recipient. */
  if (direct && recipients.length !== 1) {
    throw new ArgumentError('a direct (ECDH-ES+HKDF-256) recipient must be the only one');
  }
  let cek = direct ? undefined : await settle(backend.randomBytes(content.keyLength));
  try {
    const structures: CborValue[] = [];
    for (const spec of recipients) {
      const built = await buildRecipient(backend, spec, cek, contentAlg, content.keyLength);
      if (built.derivedCek !== undefined) cek = built.derivedCek;
      structures.push(built.structure);
    }
    const protectedHeader: HeaderMap = new Map(options.protectedHeader);
    protectedHeader.set(HeaderLabel.alg, contentAlg);
    const unprotectedHeader: HeaderMap = new Map(options.unprotectedHeader);
    const iv = await freshIv(backend);
    unprotectedHeader.set(HeaderLabel.iv, iv);
    checkHeaders(protectedHeader, unprotectedHeader, { understood: CONTENT_UNDERSTOOD, alg: 'protected' });
    const protectedBytes = encodeProtectedHeader(protectedHeader);
    const key = await settle(backend.importKey(content.aead, 'secret', cek!));
    const { externalAad } = options;
    const external = typeof externalAad === 'function' ? await settle(externalAad(cek!)) : (externalAad ?? EMPTY);
    const aad = encStructure('Encrypt', protectedBytes, external);
    const ciphertext = await settle(backend.aeadEncrypt(key, { nonce: iv, plaintext, aad }));
    return { protectedBytes, unprotectedHeader, ciphertext, recipients: structures };
  } finally {
    cek?.fill(0);
  }
}

/** One COSE_recipient, decoded and its header rules checked before any key is looked at. */
interface DecodedRecipient extends DecodedHeaders {
  readonly alg: number;
  readonly ciphertext: Uint8Array;
}

function decodeRecipient(recipient: CborValue, options: CoseDecodeOptions): DecodedRecipient {
  /* RFC 9052 §5.1: a COSE_recipient is [protected, unprotected, ciphertext]; Ward reads no nested recipients. */
  if (!Array.isArray(recipient) || recipient.length !== 3) throw new CoseError('ERR_COSE_MALFORMED', 'COSE_recipient must be an array of 3');
  const headers = decodeHeaderPair(recipient, options);
  const alg = checkHeaders(headers.protectedHeader, headers.unprotectedHeader, { understood: RECIPIENT_UNDERSTOOD, alg: 'either' });
  return { ...headers, alg, ciphertext: bytesField(recipient[2], 'recipient ciphertext') };
}

/** Options of {@link decodeEncryptStructure}. */
export interface EncryptStructureOptions extends CoseDecodeOptions {
  /** Most recipients accepted (default {@link DEFAULT_MAX_RECIPIENTS}). */
  readonly maxRecipients?: number;
}

/** A COSE_Encrypt whose structure was checked without any key. Internal to core. */
export interface EncryptStructure extends DecodedLayer {
  /** Its recipients, each decoded and its header rules checked. */
  readonly recipients: readonly DecodedRecipient[];
}

/**
 * Decodes a COSE_Encrypt and checks its structure without any key (RFC 9052 §5.1): the tag and
 * shape, the content layer's header rules, a ciphertext that is a byte string or `nil`, one to
 * `maxRecipients` recipients, each `[protected, unprotected, ciphertext]` with its own header
 * rules, and a direct key agreement recipient only as the single one. Every reader of a
 * COSE_Encrypt starts here; verifyEnvelope() runs it on a sealed envelope's inner message. Internal to core.
 */
export function decodeEncryptStructure(message: Uint8Array, options: EncryptStructureOptions = {}): EncryptStructure {
  const layer = decodeLayer(message, CoseTag.Encrypt, 4, { understood: CONTENT_UNDERSTOOD, alg: 'protected' }, options);
  const [, , ciphertext, recipients] = layer.fields;
  if (ciphertext !== null && !(ciphertext instanceof Uint8Array)) throw new CoseError('ERR_COSE_MALFORMED', 'ciphertext must be a byte string or nil');
  const maxRecipients = options.maxRecipients ?? DEFAULT_MAX_RECIPIENTS;
  /* RFC 9052 §5.1: recipients is [+ COSE_recipient], at least one. */
  if (!Array.isArray(recipients) || recipients.length === 0) throw new CoseError('ERR_COSE_MALFORMED', 'recipients must be a non-empty array');
  /* Resource exhaustion: each recipient can cost a key agreement, so their number is bounded before any is read. */
  if (recipients.length > maxRecipients) throw new CoseError('ERR_COSE_MALFORMED', `more than ${maxRecipients} recipients`);
  const decoded = recipients.map((recipient) => decodeRecipient(recipient, options));
  /* RFC 9052 §5.1, SPEC.md §2: a direct key agreement recipient derives the CEK itself, so it
   * must be the only recipient; beside others it would mean a second CEK, and readers of one
   * message could be shown different plaintexts. */
  if (decoded.length > 1 && decoded.some((r) => r.alg === CoseAlgorithm.ECDH_ES_HKDF_256)) {
    throw new CoseError('ERR_COSE_MALFORMED', 'a direct key agreement (ECDH-ES+HKDF-256) recipient must be the only recipient');
  }
  return { ...layer, recipients: decoded };
}

/** Recovers the CEK from one recipient structure, or says why the structure is not for `key`. */
async function recoverContentKey(
  backend: CryptoBackend,
  recipient: DecodedRecipient,
  source: RecipientSource,
  contentAlg: number,
  cekLength: number,
): Promise<{ cek: Uint8Array; alg: number } | { skipped: string }> {
  const { protectedBytes, protectedHeader, unprotectedHeader, alg, ciphertext } = recipient;
  const kid = kidOf(protectedHeader, unprotectedHeader);
  let key: RecipientKey;
  if (typeof source === 'function') {
    const resolved = await settle(source({ kid, alg }));
    if (resolved === undefined) return { skipped: 'no key for this kid' };
    key = resolved;
  } else {
    key = source;
  }
  /* RFC 9052 §3.1 (kid): a reader whose key has a kid tries only the recipients that name it. */
  if (key.kid !== undefined && (kid === undefined || !sameBytes(kid, key.kid))) return { skipped: 'another kid' };

  const wrapLength = KEY_WRAP_ALGORITHMS.get(alg);
  if (wrapLength !== undefined) {
    if (!('kek' in key)) return { skipped: `key wrap (alg ${alg}) for a KEK holder` };
    /* RFC 9053 §6.2.1: the protected bucket of a key wrap recipient must be empty. */
    if (protectedBytes.length !== 0) throw new CoseError('ERR_COSE_INVALID_HEADER', 'key wrap recipient must have an empty protected header');
    /* A KEK of another size is another reader's: skip, as for recipients on another curve. */
    if (key.kek.size !== wrapLength) return { skipped: `alg ${alg} for a ${wrapLength}-byte KEK` };
    return { cek: await settle(backend.unwrapKey(key.kek, ciphertext)), alg };
  }
  const ecdhWrap = ECDH_KEY_WRAP_ALGORITHMS.get(alg);
  /* A recipient in an algorithm Ward does not implement is for another reader: skip it. */
  if (ecdhWrap === undefined && alg !== CoseAlgorithm.ECDH_ES_HKDF_256) return { skipped: `unsupported alg ${alg}` };
  if (!('privateKey' in key)) return { skipped: `ECDH-ES (alg ${alg}) for a private-key holder` };
  /*
   * RFC 9053 §5.2, §6.3: ECDH-ES parameters are authenticated only through the KDF context
   * (which holds the protected bucket), so alg must be protected or it could be substituted.
   */
  if (!protectedHeader.has(HeaderLabel.alg)) throw new CoseError('ERR_COSE_UNPROTECTED_ALG', 'ECDH-ES alg must be protected');
  const ephemeralKey = protectedHeader.get(HeaderLabel.ephemeralKey) ?? unprotectedHeader.get(HeaderLabel.ephemeralKey);
  if (ephemeralKey instanceof Map && agreementAlgorithmOfCose(ephemeralKey) !== key.privateKey.algorithm) return { skipped: 'another curve' };
  const peer = await agreementPublicKeyFromCose(ephemeralKey, key.privateKey.algorithm, backend);
  const saltValue = protectedHeader.get(HeaderLabel.salt) ?? unprotectedHeader.get(HeaderLabel.salt);
  /* RFC 9053 §5.1: the HKDF salt header parameter (label -20) is a bstr. */
  if (saltValue !== undefined && !(saltValue instanceof Uint8Array)) throw new CoseError('ERR_COSE_INVALID_HEADER', 'salt must be a byte string');
  const header: HeaderMap = new Map([...unprotectedHeader, ...protectedHeader]);
  if (ecdhWrap === undefined) {
    /* RFC 9052 §5.1 (direct key agreement): the CEK is the HKDF output; the recipient ciphertext is empty. */
    if (ciphertext.length !== 0) throw new CoseError('ERR_COSE_MALFORMED', 'direct key agreement recipient must have an empty ciphertext');
    const info = kdfContext(contentAlg, cekLength, protectedBytes, header);
    return { cek: await agreeAndDerive(backend, key.privateKey, peer, cekLength, info, saltValue), alg };
  }
  const kekLength = KEY_WRAP_ALGORITHMS.get(ecdhWrap)!;
  const info = kdfContext(ecdhWrap, kekLength, protectedBytes, header);
  const derived = await agreeAndDerive(backend, key.privateKey, peer, kekLength, info, saltValue);
  try {
    const kek = await settle(backend.importKey('AES-KW', 'secret', derived));
    return { cek: await settle(backend.unwrapKey(kek, ciphertext)), alg };
  } finally {
    derived.fill(0);
  }
}

/** A COSE_Encrypt whose content key was recovered (internal: decrypt and re-wrap share it). */
export interface RecoveredEncrypt {
  /** The raw CEK; the caller wipes it. */
  readonly cek: Uint8Array;
  readonly contentAlg: number;
  readonly recipientAlg: number;
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: HeaderMap;
  readonly unprotectedHeader: HeaderMap;
  /** The content ciphertext, a view into the message (not copied). */
  readonly ciphertext: Uint8Array;
  readonly iv: Uint8Array;
}

/** The content ciphertext: the message's own, or the detached one the caller supplies (RFC 9052 §5.1). */
function contentCiphertext(embedded: CborValue | undefined, detached: Uint8Array | undefined): Uint8Array {
  if (embedded === null) {
    if (detached === undefined) throw new CoseError('ERR_COSE_MALFORMED', 'ciphertext is detached and none was supplied');
    assertBytes(detached, 'detachedCiphertext');
    return detached;
  }
  if (detached !== undefined) throw new CoseError('ERR_COSE_MALFORMED', 'ciphertext is embedded; a detached one was also supplied');
  return bytesField(embedded, 'ciphertext');
}

/**
 * Decodes a COSE_Encrypt and recovers its CEK with `options.recipient`, running
 * `checkContentKey` on it; does not touch the content ciphertext. Internal to core.
 */
export async function recoverEncryptContentKey(message: Uint8Array, options: DecryptEncryptOptions): Promise<RecoveredEncrypt> {
  assertBytes(message, 'message');
  const { fields, protectedBytes, protectedHeader, unprotectedHeader, alg, recipients } = decodeEncryptStructure(message, options);
  const ciphertext = contentCiphertext(fields[2], options.detachedCiphertext);
  const content = CONTENT_ALGORITHMS.get(alg);
  if (content === undefined) throw new UnsupportedAlgorithmError(`COSE content algorithm ${alg} is not supported`);
  const iv = ivOf(protectedHeader, unprotectedHeader);

  const skipped: string[] = [];
  /* A resolver's refusal (a revoked or destroyed key) is the most useful cause if nothing opens. */
  let refusal: unknown;
  for (const recipient of recipients) {
    let recovered: { cek: Uint8Array; alg: number } | { skipped: string };
    try {
      recovered = await recoverContentKey(options.backend, recipient, options.recipient, alg, content.keyLength);
    } catch (error) {
      /* A recipient meant for someone else fails to unwrap: try the next one. */
      if (WardError.isInstance(error) && (error.code === 'ERR_DECRYPTION_FAILED' || error.code === 'ERR_KEY_AGREEMENT_FAILED')) {
        skipped.push(error.code === 'ERR_DECRYPTION_FAILED' ? 'unwrap failed' : 'key agreement failed');
        continue;
      }
      if (typeof options.recipient === 'function' && KeyError.isInstance(error)) {
        skipped.push(error.code);
        refusal ??= error;
        continue;
      }
      throw error;
    }
    if ('skipped' in recovered) {
      skipped.push(recovered.skipped);
      continue;
    }
    const { cek } = recovered;
    try {
      /* RFC 9052 §8 (key and algorithm must match): a CEK of another length is refused, as a failed decryption. */
      if (cek.length !== content.keyLength) throw new DecryptionError();
      if (options.checkContentKey !== undefined) await settle(options.checkContentKey(cek));
    } catch (error) {
      cek.fill(0);
      throw error;
    }
    return { cek, contentAlg: alg, recipientAlg: recovered.alg, protectedBytes, protectedHeader, unprotectedHeader, ciphertext, iv };
  }
  const reasons = skipped.join('; ');
  throw new DecryptionError({ cause: refusal ?? new KeyError('ERR_KEY_NOT_FOUND', `no recipient structure yielded a content key (${reasons})`) });
}

/**
 * Decrypts a COSE_Encrypt with one reader's key. Recipients are tried in order (skipping
 * those whose `kid` or algorithm does not fit the key); the first that yields a CEK decrypts
 * the content. Plaintext is returned only when every check passed.
 *
 * @param message - the encoded COSE_Encrypt
 * @param options - backend, the reader's key (or a resolver by kid), external AAD, limits, CEK check
 * @returns the plaintext and headers
 * @throws {@link DecodeError} for malformed CBOR or exceeded limits
 * @throws {@link CoseError} for a wrong tag, shape or header, too many recipients, or a
 *   detached ciphertext missing (or one supplied for an attached message) (`ERR_COSE_MALFORMED`)
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for an unsupported algorithm
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for missing options or backend, or a
 *   `recipient` that is not a reader's key: a keyset itself (pass `keyset.recipientKey()`), a
 *   bare key handle, or a public key as `privateKey`
 * @throws {@link DecryptionError} `ERR_DECRYPTION_FAILED` when no recipient yields a CEK (its
 *   `cause` is a `KeyError` `ERR_KEY_NOT_FOUND`, or the resolver's refusal) or the content does
 *   not authenticate
 * @example
 * ```ts
 * const { plaintext } = await decryptEncrypt(message, {
 *   backend,
 *   recipient: { privateKey: analystPrivateKey, kid: analystKid },
 * });
 * ```
 */
export async function decryptEncrypt(message: Uint8Array, options: DecryptEncryptOptions): Promise<DecryptedEncrypt> {
  checkBackendOptions(options, 'decryptEncrypt');
  checkRecipientSource(options.recipient, 'decryptEncrypt() options.recipient');
  const recovered = await recoverEncryptContentKey(message, options);
  const { cek, contentAlg: alg, protectedBytes, protectedHeader, unprotectedHeader, ciphertext, iv } = recovered;
  try {
    const content = CONTENT_ALGORITHMS.get(alg)!;
    const key: AeadKey = await settle(options.backend.importKey(content.aead, 'secret', cek));
    checkContentKey(alg, key);
    const aad = encStructure('Encrypt', protectedBytes, options.externalAad ?? EMPTY);
    const plaintext = await settle(options.backend.aeadDecrypt(key, { nonce: iv, ciphertext, aad }));
    return { plaintext, alg, protectedHeader, unprotectedHeader, recipientAlg: recovered.recipientAlg };
  } finally {
    cek.fill(0);
  }
}

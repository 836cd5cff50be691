/*
 * The detached ciphertext of multi-recipient envelopes (SPEC.md §Detached ciphertext).
 *
 * A sealed COSE_Encrypt envelope carries its content ciphertext beside the signed COSE_Encrypt
 * (RFC 9052 §5.1 detached content), in the Sign1's unprotected bucket, and the COSE_Encrypt
 * carries a SHA-256 digest of it. The signature covers the digest, so it binds the ciphertext
 * while signing and verifying only headers and recipients. That is what makes re-wrap cost the
 * same for 256 bytes and 10 MiB: the authority checks the producer's signature and issues its
 * own without reading the ciphertext.
 */
import type { CryptoBackend } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { encodeCbor, encodeHead } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { decodeEncryptStructure } from '../cose/encrypt.js';
import { decodeEncrypt0Structure } from '../cose/encrypt0.js';
import type { HeaderMap } from '../cose/headers.js';
import type { CoseDecodeOptions } from '../cose/message.js';
import { concatBytes, sameBytes } from '../bytes.js';
import { CoseError } from '../errors.js';
import { COSE_SHA_256, WardHeaderLabel } from '../profile/labels.js';

const SHA_256_LENGTH = 32;
/* CBOR heads: tag 18 (COSE_Sign1), an array of 4, a map of 1; and the label -65540. */
const SIGN1_ARRAY_HEAD = Uint8Array.of(0xd2, 0x84);
const ONE_ENTRY_MAP = Uint8Array.of(0xa1);
const DETACHED_LABEL = encodeCbor(WardHeaderLabel.detachedCiphertext);

function refuse(what: string): never {
  throw new CoseError('ERR_COSE_INVALID_HEADER', `sealed envelope ${what}`);
}

/** The ciphertext digest header value: `[-16, SHA-256(ciphertext)]`. */
export async function ciphertextDigest(backend: CryptoBackend, ciphertext: Uint8Array): Promise<CborValue> {
  const digest = backend.sha256(ciphertext);
  return [COSE_SHA_256, isPromise(digest) ? await digest : digest];
}

/** A multi-recipient envelope's content, as its signed COSE_Encrypt describes it. */
export interface DetachedContent {
  /** The ciphertext from the Sign1's unprotected bucket. */
  readonly ciphertext: Uint8Array;
  /** The SHA-256 digest the signed COSE_Encrypt holds for it. */
  readonly digest: Uint8Array;
}

/**
 * The profile's rules for the signed inner message and for what sits outside the signed bytes
 * (SPEC.md §5): the inner message is structurally what the content type says, checked without
 * any key within the caller's decoding limits (a tagged COSE_Encrypt0 for 16; a tagged
 * COSE_Encrypt with a `nil` ciphertext and one or more recipients for 96); a COSE_Encrypt0
 * envelope's Sign1 has an empty unprotected bucket; a COSE_Encrypt envelope's holds exactly the
 * detached ciphertext, and its COSE_Encrypt carries a SHA-256 digest of it.
 */
export function detachedContentOf(
  unprotectedHeader: HeaderMap,
  encryption: 'encrypt0' | 'encrypt',
  inner: Uint8Array,
  options: CoseDecodeOptions,
): DetachedContent | undefined {
  /* Nothing decoded here outlives the check but the digest, so byte strings stay views: a large
   * attached ciphertext is not copied to be looked at. */
  const structural: CoseDecodeOptions = { ...options, byteStringViews: true };
  if (encryption === 'encrypt0') {
    if (unprotectedHeader.size !== 0) refuse('with one shared key has an unprotected header');
    /* A signature over anything but a COSE_Encrypt0 (junk, a COSE_Mac0, a nesting bomb) is no envelope of type 16. */
    decodeEncrypt0Structure(inner, structural);
    return undefined;
  }
  const ciphertext = unprotectedHeader.get(WardHeaderLabel.detachedCiphertext);
  if (unprotectedHeader.size !== 1 || !(ciphertext instanceof Uint8Array)) {
    refuse('unprotected header must hold exactly the detached ciphertext');
  }
  /* Type 96 is a COSE_Encrypt with one or more well-formed recipients (a direct one only alone). */
  const { fields, unprotectedHeader: contentHeader } = decodeEncryptStructure(inner, structural);
  if (fields[2] !== null) refuse('COSE_Encrypt must have a detached (nil) ciphertext');
  const digest = contentHeader.get(WardHeaderLabel.ciphertextDigest);
  if (!Array.isArray(digest) || digest.length !== 2 || digest[0] !== COSE_SHA_256) refuse('ciphertext digest must be [-16, SHA-256]');
  const value = digest[1];
  if (!(value instanceof Uint8Array) || value.length !== SHA_256_LENGTH) refuse('ciphertext digest must be 32 bytes');
  return { ciphertext, digest: value };
}

/** Refuses a ciphertext whose SHA-256 is not the signed digest. Reads the whole ciphertext once. */
export async function checkCiphertextDigest(backend: CryptoBackend, content: DetachedContent): Promise<void> {
  /* The ciphertext sits in the unsigned bucket: without this check a recipient, who knows the
   * CEK, could encrypt other content for every other reader under the producer's signature. */
  const digest = backend.sha256(content.ciphertext);
  const actual = isPromise(digest) ? await digest : digest;
  if (!sameBytes(actual, content.digest)) refuse('ciphertext does not match its signed digest');
}

/**
 * A multi-recipient sealed envelope in three parts, whose concatenation is its deterministic
 * CBOR encoding: the head up to the ciphertext, the ciphertext itself (not copied), and the
 * signed COSE_Encrypt with the signature.
 */
export function sealedParts(
  protectedBytes: Uint8Array,
  ciphertext: Uint8Array,
  inner: Uint8Array,
  signature: Uint8Array,
): Uint8Array[] {
  const head = concatBytes([
    SIGN1_ARRAY_HEAD, encodeHead(2, protectedBytes.length), protectedBytes,
    ONE_ENTRY_MAP, DETACHED_LABEL, encodeHead(2, ciphertext.length),
  ]);
  const tail = concatBytes([encodeHead(2, inner.length), inner, encodeHead(2, signature.length), signature]);
  return [head, ciphertext, tail];
}

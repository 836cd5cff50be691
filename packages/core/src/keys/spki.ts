/*
 * Public keys in the form security teams have them: PEM (RFC 7468) around a DER
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), as `openssl ec -pubout`, `openssl pkey -pubout` and
 * `opa build --verification-key` use. Only the two signature algorithms Ward verifies with are
 * read, Ed25519 (RFC 8410 §4) and ECDSA P-256 (RFC 5480 §2), and each by its one DER encoding:
 * DER is canonical, so a SubjectPublicKeyInfo is accepted only when it equals the template
 * byte for byte apart from the key itself. Nothing is parsed loosely, so no second reading of
 * the same bytes exists (no BER lengths, no trailing data, no parameters on Ed25519, no other
 * curve). The point itself is checked by the backend's importKey (on the curve, canonical).
 *
 * Core has no platform imports: this is plain byte comparison. Private keys (PKCS#8) are not
 * read here; signing tools (scripts/policies.mjs) read them with the platform's own parser.
 */
import type { CryptoBackend, SignatureAlgorithm, VerifyingKey } from '../backend/crypto-backend.js';
import { settle } from '../backend/crypto-backend.js';
import { KeyError } from '../errors.js';
import { decodeCanonicalBase64 } from '../bytes.js';

/** A DER SubjectPublicKeyInfo's bytes before the key, and the key's length, per algorithm. */
interface SpkiTemplate {
  readonly algorithm: SignatureAlgorithm;
  readonly prefix: Uint8Array;
  readonly keyBytes: number;
}

/* RFC 8410 §4: SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (0 unused bits) 32 bytes }. */
const ED25519_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);
/* RFC 5480 §2.1.1: AlgorithmIdentifier { id-ecPublicKey 1.2.840.10045.2.1, secp256r1 1.2.840.10045.3.1.7 }. */
const P256_ALGORITHM = [0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

const TEMPLATES: readonly SpkiTemplate[] = [
  { algorithm: 'Ed25519', prefix: ED25519_PREFIX, keyBytes: 32 },
  /* RFC 5480 §2.2: the uncompressed point (0x04 || X || Y) ... */
  { algorithm: 'ECDSA-P256', prefix: Uint8Array.of(0x30, 0x59, ...P256_ALGORITHM, 0x03, 0x42, 0x00), keyBytes: 65 },
  /* ... or the compressed one (0x02 / 0x03 || X), which RFC 5480 also allows. */
  { algorithm: 'ECDSA-P256', prefix: Uint8Array.of(0x30, 0x39, ...P256_ALGORITHM, 0x03, 0x22, 0x00), keyBytes: 33 },
];

/** The most PEM text read: a P-256 SubjectPublicKeyInfo is 91 bytes, about 180 characters in PEM. */
const MAX_PEM_CHARS = 4096;
const PEM_LABEL = 'PUBLIC KEY';
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/u;

const invalid = (message: string): KeyError => new KeyError('ERR_KEY_INVALID', `public key: ${message}`);

/** Strict base64 (RFC 4648 §4): padded to a multiple of 4, padding only at the end, zero pad bits. */
function base64(text: string): Uint8Array {
  const decoded = decodeCanonicalBase64(text, 'base64');
  if (decoded === 'malformed') throw invalid('the PEM body is not base64');
  /* Non-canonical base64 (nonzero pad bits) would give one key two encodings. */
  if (decoded === 'non-canonical') throw invalid('the PEM body is not canonical base64');
  return decoded;
}

/**
 * The DER inside a PEM `PUBLIC KEY` block (RFC 7468 §13). Whitespace around the block is
 * ignored; inside it, only base64 lines (LF or CRLF). Refused: another label (a private key,
 * `RSA PUBLIC KEY`, a certificate), headers or text inside the block, text before or after
 * it, a second block.
 */
function pemBody(pem: string): Uint8Array {
  if (pem.length > MAX_PEM_CHARS) throw invalid(`the PEM text is longer than ${MAX_PEM_CHARS} characters`);
  const lines = pem.trim().split(/\r?\n/u);
  const begin = lines[0] ?? '';
  const end = lines[lines.length - 1] ?? '';
  /* Label confusion: only a SubjectPublicKeyInfo; a private key is never parsed, nor echoed. */
  if (begin !== `-----BEGIN ${PEM_LABEL}-----` || end !== `-----END ${PEM_LABEL}-----` || lines.length < 3) {
    throw invalid(`expected one PEM block "-----BEGIN ${PEM_LABEL}-----" … "-----END ${PEM_LABEL}-----" (a SubjectPublicKeyInfo, as \`openssl pkey -pubout\` writes it)`);
  }
  const body = lines.slice(1, -1);
  if (!body.every((line) => BASE64_LINE.test(line))) throw invalid('the PEM block holds something other than base64 lines');
  return base64(body.join(''));
}

/**
 * Reads a DER SubjectPublicKeyInfo of an Ed25519 or P-256 key: its algorithm and raw public
 * key (the 32-byte Ed25519 key, or the SEC1 P-256 point).
 */
export function spkiPublicKey(der: Uint8Array): { readonly algorithm: SignatureAlgorithm; readonly raw: Uint8Array } {
  for (const { algorithm, prefix, keyBytes } of TEMPLATES) {
    /* DER is canonical: one exact encoding per key, so any other byte (length, OID, curve, unused bits, trailing data) is refused. */
    if (der.length === prefix.length + keyBytes && prefix.every((byte, i) => der[i] === byte)) {
      return { algorithm, raw: der.slice(prefix.length) };
    }
  }
  throw invalid('not the SubjectPublicKeyInfo of an Ed25519 (RFC 8410) or P-256 (RFC 5480) key');
}

/**
 * Imports a public key from PEM (`-----BEGIN PUBLIC KEY-----`, a SubjectPublicKeyInfo) or
 * from the DER bytes of a SubjectPublicKeyInfo, as an Ed25519 or ECDSA P-256 verifying key of
 * `backend`. The algorithm comes from the key; with `algorithm`, another is refused.
 *
 * @param backend - the backend that will verify with the key
 * @param key - PEM text or DER bytes
 * @param algorithm - the algorithm the key must have (optional)
 * @returns the verifying key
 * @throws {@link KeyError} `ERR_KEY_INVALID` for anything but one PEM `PUBLIC KEY` block (or
 *   DER) holding an Ed25519 or P-256 key, or a point the backend refuses; `ERR_KEY_USAGE`
 *   when the key is not of `algorithm`
 * @example
 * ```ts
 * const key = await importSpkiPublicKey(backend, await readFile('policy-signing.pub.pem', 'utf8'));
 * key.algorithm; // 'ECDSA-P256'
 * ```
 */
export async function importSpkiPublicKey(backend: CryptoBackend, key: string | Uint8Array, algorithm?: SignatureAlgorithm): Promise<VerifyingKey> {
  const der = typeof key === 'string' ? pemBody(key) : key instanceof Uint8Array ? key : undefined;
  if (der === undefined) throw invalid('expected PEM text or SubjectPublicKeyInfo DER bytes');
  const spki = spkiPublicKey(der);
  /* Key type confusion: a key of another algorithm than the caller expects is refused, not converted. */
  if (algorithm !== undefined && spki.algorithm !== algorithm) {
    throw new KeyError('ERR_KEY_USAGE', `public key: an ${spki.algorithm} key where an ${algorithm} key is required`);
  }
  return settle(backend.importKey(spki.algorithm, 'public', spki.raw));
}

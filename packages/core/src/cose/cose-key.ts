/*
 * COSE_Key (RFC 9052 §7, RFC 9053 §7) for the public keys COSE messages carry inline: the
 * ephemeral key of ECDH-ES recipients (header -1). Full key management (private keys, key ops,
 * thumbprint kids, keysets) builds on these labels.
 */
import type { CborValue } from '../cbor/index.js';
import type { AgreementPublicKey, CryptoBackend, KeyAgreementAlgorithm } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { CoseError, UnsupportedAlgorithmError } from '../errors.js';

/**
 * COSE_Key labels and values (IANA "COSE Key Common Parameters", "COSE Key Type Parameters",
 * "COSE Key Types", "COSE Elliptic Curves").
 *
 * @example
 * ```ts
 * import { CoseKeyLabel } from '@ward/core/cose';
 *
 * const okp = new Map([[CoseKeyLabel.kty, CoseKeyLabel.ktyOKP], [CoseKeyLabel.crv, CoseKeyLabel.crvX25519]]);
 * ```
 */
export const CoseKeyLabel = {
  kty: 1,
  kid: 2,
  alg: 3,
  keyOps: 4,
  baseIv: 5,
  crv: -1,
  x: -2,
  y: -3,
  d: -4,
  k: -1,
  ktyOKP: 1,
  ktyEC2: 2,
  ktySymmetric: 4,
  crvP256: 1,
  crvX25519: 4,
  crvEd25519: 6,
} as const;

const L = CoseKeyLabel;

/**
 * Encodes a raw ECDH public key as a COSE_Key map: OKP/X25519 (`x` = 32 bytes) or EC2/P-256
 * (`x`, `y` from the uncompressed SEC1 point).
 *
 * @param algorithm - `X25519` or `ECDH-P256`
 * @param raw - the raw public key as `exportKey` returns it
 * @returns the COSE_Key map
 * @example
 * ```ts
 * const ephemeral = agreementPublicKeyToCose('X25519', await backend.exportKey(ephemeralPublic));
 * ```
 */
export function agreementPublicKeyToCose(algorithm: KeyAgreementAlgorithm, raw: Uint8Array): Map<CborValue, CborValue> {
  if (algorithm === 'X25519') return new Map<CborValue, CborValue>([[L.kty, L.ktyOKP], [L.crv, L.crvX25519], [L.x, raw]]);
  return new Map<CborValue, CborValue>([[L.kty, L.ktyEC2], [L.crv, L.crvP256], [L.x, raw.subarray(1, 33)], [L.y, raw.subarray(33, 65)]]);
}

/**
 * The ECDH algorithm of a COSE_Key map by its `kty` and `crv`, or `undefined` when it is not
 * an X25519 or P-256 key. Lets a recipient skip structures addressed to another curve.
 *
 * @param value - a decoded COSE_Key (untrusted)
 * @returns `X25519`, `ECDH-P256` or `undefined`
 * @example
 * ```ts
 * if (agreementAlgorithmOfCose(ephemeralKey) !== myKey.algorithm) return; // not for me
 * ```
 */
export function agreementAlgorithmOfCose(value: CborValue | undefined): KeyAgreementAlgorithm | undefined {
  if (!(value instanceof Map)) return undefined;
  const kty = value.get(L.kty);
  const crv = value.get(L.crv);
  if (kty === L.ktyOKP && crv === L.crvX25519) return 'X25519';
  if (kty === L.ktyEC2 && crv === L.crvP256) return 'ECDH-P256';
  return undefined;
}

/**
 * Imports the public key in a COSE_Key map (as found in an ephemeral-key header) into
 * `backend` as an ECDH public key. The curve must be the one `expected` names.
 *
 * @param value - the decoded COSE_Key (untrusted)
 * @param expected - the ECDH algorithm the recipient's own key uses
 * @param backend - the backend to import into
 * @returns the public key handle
 * @throws {@link CoseError} `ERR_COSE_MALFORMED` for a malformed COSE_Key or a curve mismatch
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for a curve Ward does not use
 * @throws {@link KeyError} `ERR_KEY_INVALID` for a point not on the curve
 * @example
 * ```ts
 * const peer = await agreementPublicKeyFromCose(header.get(HeaderLabel.ephemeralKey), 'X25519', backend);
 * ```
 */
export async function agreementPublicKeyFromCose(
  value: CborValue | undefined,
  expected: KeyAgreementAlgorithm,
  backend: CryptoBackend,
): Promise<AgreementPublicKey> {
  if (!(value instanceof Map)) throw new CoseError('ERR_COSE_MALFORMED', 'ephemeral key must be a COSE_Key map');
  const kty = value.get(L.kty);
  const crv = value.get(L.crv);
  const x = value.get(L.x);
  if (value.has(L.d)) throw new CoseError('ERR_COSE_MALFORMED', 'an ephemeral public key must not carry a private part');
  let algorithm: KeyAgreementAlgorithm;
  let raw: Uint8Array;
  if (kty === L.ktyOKP && crv === L.crvX25519 && x instanceof Uint8Array) {
    algorithm = 'X25519';
    raw = x;
  } else if (kty === L.ktyEC2 && crv === L.crvP256 && x instanceof Uint8Array && x.length === 32) {
    algorithm = 'ECDH-P256';
    const y = value.get(L.y);
    if (y instanceof Uint8Array && y.length === 32) {
      raw = new Uint8Array(65);
      raw[0] = 0x04;
      raw.set(x, 1);
      raw.set(y, 33);
    } else if (typeof y === 'boolean') {
      /* RFC 9053 §7.1.1: y may be the sign bit of a compressed point. */
      raw = new Uint8Array(33);
      raw[0] = y ? 0x03 : 0x02;
      raw.set(x, 1);
    } else {
      throw new CoseError('ERR_COSE_MALFORMED', 'EC2 key needs y as a 32-byte string or a sign bit');
    }
  } else if (kty === L.ktyOKP || kty === L.ktyEC2) {
    throw new UnsupportedAlgorithmError('ephemeral key curve is not supported');
  } else {
    throw new CoseError('ERR_COSE_MALFORMED', 'ephemeral key has no supported kty');
  }
  if (algorithm !== expected) throw new CoseError('ERR_COSE_MALFORMED', `ephemeral key is ${algorithm}, recipient key is ${expected}`);
  const imported = backend.importKey(algorithm, 'public', raw);
  return isPromise(imported) ? await imported : imported;
}

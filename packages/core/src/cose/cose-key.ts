/*
 * The one COSE_Key codec (RFC 9052 §7, RFC 9053 §7): labels, the key types, reading a decoded
 * COSE_Key map under a named profile (which key types and curves, whether a private part,
 * compressed P-256 points or other labels are accepted), checking a key object, and writing
 * the map. Each caller states its profile: keys/ reads stored keys with STORED_COSE_KEY or
 * PUBLIC_COSE_KEY; recipients read ECDH-ES ephemeral keys (header -1) with
 * EPHEMERAL_AGREEMENT_KEY. Thumbprints, redaction and backend import live in keys/cose-key.ts.
 */
import type { CborValue } from '../cbor/index.js';
import type { AgreementPublicKey, CryptoBackend, KeyAgreementAlgorithm } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { ArgumentError, CoseError, UnsupportedAlgorithmError } from '../errors.js';

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
 * What a reader of COSE_Key maps accepts. Every caller of {@link parseCoseKeyMap} names one of
 * the profiles below. Internal to core.
 */
export interface CoseKeyProfile {
  /** How errors name the key. */
  readonly what: string;
  /** OKP curves read (IANA "COSE Elliptic Curves"); none: OKP keys are refused. */
  readonly okpCurves: readonly number[];
  /** EC2 curves read; none: EC2 keys are refused. */
  readonly ec2Curves: readonly number[];
  /** Whether Symmetric keys are read. */
  readonly symmetric: boolean;
  /** Whether a private part (`d`) is accepted. */
  readonly privateParts: boolean;
  /** Whether EC2 `y` may be the sign bit of a compressed point (RFC 9053 §7.1.1). */
  readonly compressedPoints: boolean;
  /**
   * `closed`: only the common labels and those of the key's kty, each well typed (kid, alg,
   * key_ops too). `open`: labels the profile does not use are ignored, as a peer's inline key
   * may carry more than Ward reads.
   */
  readonly labels: 'closed' | 'open';
  /**
   * `codec`: OKP `x` must be 32 bytes here. `import`: its length is left to the backend import,
   * which refuses a key that is no point (`ERR_KEY_INVALID`).
   */
  readonly okpLength: 'codec' | 'import';
}

/** Keys Ward stores (keysets, trust stores): every type Ward uses, private parts allowed, uncompressed, closed. Internal to core. */
export const STORED_COSE_KEY: CoseKeyProfile = Object.freeze({
  what: 'COSE_Key', okpCurves: [L.crvEd25519, L.crvX25519], ec2Curves: [L.crvP256], symmetric: true,
  privateParts: true, compressedPoints: false, labels: 'closed', okpLength: 'codec',
});

/** {@link STORED_COSE_KEY} for public keys only: no `d`, no Symmetric key. Internal to core. */
export const PUBLIC_COSE_KEY: CoseKeyProfile = Object.freeze({ ...STORED_COSE_KEY, symmetric: false, privateParts: false });

/**
 * An ECDH-ES ephemeral key from a peer (RFC 9053 §6.3.1, header -1): X25519 or P-256 only,
 * public only, compressed P-256 accepted, other labels ignored, X25519 length left to the
 * import. Internal to core.
 */
export const EPHEMERAL_AGREEMENT_KEY: CoseKeyProfile = Object.freeze({
  what: 'ephemeral key', okpCurves: [L.crvX25519], ec2Curves: [L.crvP256], symmetric: false,
  privateParts: false, compressedPoints: true, labels: 'open', okpLength: 'import',
});

/** COSE key types Ward handles (IANA "COSE Key Types"): OKP 1, EC2 2, Symmetric 4. */
export type CoseKeyType = 1 | 2 | 4;

/** COSE elliptic curves Ward handles (IANA "COSE Elliptic Curves"): P-256 1, X25519 4, Ed25519 6. */
export type CoseCurve = 1 | 4 | 6;

/**
 * COSE `key_ops` values (RFC 9052 §7.1, Table 5).
 *
 * @example
 * ```ts
 * import { CoseKeyOp } from '@ward/core/cose';
 *
 * const keyOps = [CoseKeyOp.sign, CoseKeyOp.verify]; // [1, 2]
 * ```
 */
export const CoseKeyOp = {
  sign: 1,
  verify: 2,
  encrypt: 3,
  decrypt: 4,
  wrapKey: 5,
  unwrapKey: 6,
  deriveKey: 7,
  deriveBits: 8,
  macCreate: 9,
  macVerify: 10,
} as const;

/** One of the values in {@link CoseKeyOp}. */
export type CoseKeyOpValue = (typeof CoseKeyOp)[keyof typeof CoseKeyOp];

/** Parameters every COSE_Key may carry (RFC 9052 §7.1). */
export interface CoseKeyCommon {
  /** COSE algorithm the key is restricted to (label 3), an integer identifier. */
  readonly alg?: number;
  /** Key identifier (label 2). Ward uses the RFC 9679 thumbprint by default. */
  readonly kid?: Uint8Array;
  /** Permitted operations (label 4), non-empty, no repeats. Keysets enforce them on every use. */
  readonly keyOps?: readonly CoseKeyOpValue[];
}

/** An OKP key (RFC 9053 §7.2): Ed25519 (`crv` 6) or X25519 (`crv` 4). */
export interface OkpCoseKey extends CoseKeyCommon {
  /** Key type OKP. */
  readonly kty: 1;
  /** 6 = Ed25519, 4 = X25519. */
  readonly crv: 4 | 6;
  /** The 32-byte public key. Ward requires it, also for private keys. */
  readonly x: Uint8Array;
  /** The 32-byte private key (seed / scalar), when this is a private key. */
  readonly d?: Uint8Array;
}

/** An EC2 key (RFC 9053 §7.1) on P-256 (`crv` 1), uncompressed. */
export interface Ec2CoseKey extends CoseKeyCommon {
  /** Key type EC2. */
  readonly kty: 2;
  /** 1 = P-256. */
  readonly crv: 1;
  /** The 32-byte big-endian x-coordinate. */
  readonly x: Uint8Array;
  /** The 32-byte big-endian y-coordinate (Ward does not store the compressed sign-bit form). */
  readonly y: Uint8Array;
  /** The 32-byte big-endian private scalar, when this is a private key. */
  readonly d?: Uint8Array;
}

/** A Symmetric key (RFC 9053 §6.1): 16 to 128 bytes of `k`. */
export interface SymmetricCoseKey extends CoseKeyCommon {
  /** Key type Symmetric. */
  readonly kty: 4;
  /** The secret key bytes. */
  readonly k: Uint8Array;
}

/**
 * A COSE_Key as Ward holds it: one of {@link OkpCoseKey}, {@link Ec2CoseKey},
 * {@link SymmetricCoseKey}. Objects returned by `createCoseKey`, `decodeCoseKey`
 * and `coseKeyFromHandle` are frozen and print `d` and `k` as `"[redacted]"`; a spread
 * copy (`{ ...key }`) is a plain object and does not.
 */
export type CoseKey = OkpCoseKey | Ec2CoseKey | SymmetricCoseKey;

/** An EC2 key read in the compressed form (RFC 9053 §7.1.1): `y` is the sign bit. Internal to core. */
export interface CompressedEc2CoseKey extends Omit<Ec2CoseKey, 'y'> {
  readonly y: boolean;
}

const malformed = (message: string): CoseError => new CoseError('ERR_COSE_MALFORMED', message);
const KTY_NAMES: Readonly<Record<number, string>> = { 1: 'OKP', 2: 'EC2', 4: 'Symmetric' };

function checkBytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed(`COSE_Key ${name} must be a byte string`);
  if (length !== undefined && value.length !== length) throw malformed(`COSE_Key ${name} must be ${length} bytes`);
  return value;
}

function checkCommon(key: CoseKeyCommon): void {
  if (key.alg !== undefined && !Number.isSafeInteger(key.alg)) throw malformed('COSE_Key alg must be an integer');
  if (key.kid !== undefined) checkBytes(key.kid, 'kid');
  if (key.keyOps !== undefined) {
    if (!Array.isArray(key.keyOps) || key.keyOps.length === 0) throw malformed('COSE_Key key_ops must be a non-empty array');
    const seen = new Set<number>();
    for (const op of key.keyOps as readonly unknown[]) {
      /* RFC 9052 §7.1 Table 5: key_ops are the ten registered operations, each once. */
      if (typeof op !== 'number' || !Number.isInteger(op) || op < 1 || op > 10) {
        throw malformed('COSE_Key key_ops holds a value that is not a key operation (1 to 10)');
      }
      if (seen.has(op)) throw malformed('COSE_Key key_ops repeats an operation');
      seen.add(op);
    }
  }
}

function unsupportedCurve(crv: unknown, kty: string): Error {
  if (typeof crv === 'number' || typeof crv === 'bigint' || typeof crv === 'string') {
    return new UnsupportedAlgorithmError(`COSE_Key crv is not a curve Ward uses with ${kty}`);
  }
  return malformed(`COSE_Key ${kty} key needs crv as an integer`);
}

/** Whether `profile` reads keys of `kty`; throws for a kty it does not. */
function checkKty(kty: unknown, profile: CoseKeyProfile): void {
  if (kty === L.ktyOKP && profile.okpCurves.length > 0) return;
  if (kty === L.ktyEC2 && profile.ec2Curves.length > 0) return;
  if (kty === L.ktySymmetric && profile.symmetric) return;
  if (kty === L.ktyOKP || kty === L.ktyEC2 || kty === L.ktySymmetric) throw malformed(`${profile.what} may not be a ${KTY_NAMES[kty]} key`);
  if (typeof kty === 'number' || typeof kty === 'bigint' || typeof kty === 'string') {
    throw new UnsupportedAlgorithmError('COSE_Key kty is not OKP, EC2 or Symmetric');
  }
  throw malformed('COSE_Key kty must be an integer');
}

/**
 * Checks the shape of a (possibly caller-built) COSE_Key object against `profile` (default
 * {@link STORED_COSE_KEY}) and returns it: kty and crv the profile reads, every parameter of
 * the right type and length (x, y, d: 32 bytes; k: 16 to 128 bytes). Internal to core.
 */
export function checkCoseKey<K extends CoseKey | CompressedEc2CoseKey = CoseKey>(key: K, profile: CoseKeyProfile = STORED_COSE_KEY): K {
  if (typeof key !== 'object' || key === null) throw new ArgumentError('a COSE_Key must be an object');
  if (profile.labels === 'closed') checkCommon(key);
  const kty = (key as { kty: unknown }).kty;
  checkKty(kty, profile);
  if (kty === L.ktyOKP) {
    const okp = key as OkpCoseKey;
    /* RFC 9053 §7.2: the curve decides the algorithm; only the profile's curves are read. */
    if (!profile.okpCurves.includes(okp.crv)) throw unsupportedCurve(okp.crv, 'OKP');
    checkBytes(okp.x, 'x', profile.okpLength === 'codec' ? 32 : undefined);
    if (okp.d !== undefined) checkBytes(okp.d, 'd', 32);
  } else if (kty === L.ktyEC2) {
    const ec2 = key as Ec2CoseKey | CompressedEc2CoseKey;
    if (!profile.ec2Curves.includes(ec2.crv)) throw unsupportedCurve(ec2.crv, 'EC2');
    checkBytes(ec2.x, 'x', 32);
    if (typeof ec2.y === 'boolean') {
      /* RFC 9053 §7.1.1: y may be the sign bit of a compressed point, where the profile allows it;
       * the point itself is validated by the backend import (invalid-curve attacks). */
      if (!profile.compressedPoints) throw malformed('COSE_Key y must be the 32-byte coordinate; the compressed sign-bit form is not accepted');
    } else if (profile.compressedPoints && !(ec2.y instanceof Uint8Array && ec2.y.length === 32)) {
      throw malformed('EC2 key needs y as a 32-byte string or a sign bit');
    } else {
      checkBytes(ec2.y, 'y', 32);
    }
    if (ec2.d !== undefined) checkBytes(ec2.d, 'd', 32);
  } else {
    const k = checkBytes((key as SymmetricCoseKey).k, 'k');
    /* RFC 9053 §6.1: no key shorter than 128 bits; the ceiling bounds what a document may make us hold. */
    if (k.length < 16 || k.length > 128) throw malformed('COSE_Key k must be 16 to 128 bytes');
  }
  return key;
}

const COMMON_LABELS: ReadonlySet<CborValue> = new Set<CborValue>([L.kty, L.kid, L.alg, L.keyOps]);
const KTY_LABELS: Readonly<Record<number, ReadonlySet<CborValue>>> = {
  [L.ktyOKP]: new Set<CborValue>([L.crv, L.x, L.d]),
  [L.ktyEC2]: new Set<CborValue>([L.crv, L.x, L.y, L.d]),
  [L.ktySymmetric]: new Set<CborValue>([L.k]),
};

/**
 * Reads a decoded COSE_Key map under `profile` and returns the checked key (not frozen, byte
 * parameters not copied). A `closed` profile refuses labels outside the common ones and those
 * of the kty, and requires x (and y) also when `d` is present. Map order does not matter.
 * Internal to core.
 *
 * @throws {@link CoseError} `ERR_COSE_MALFORMED` for a map of the wrong shape or a part the profile refuses
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for a kty, crv or alg Ward does not use
 */
export function parseCoseKeyMap(value: CborValue | undefined, profile: CoseKeyProfile): CoseKey | CompressedEc2CoseKey {
  if (!(value instanceof Map)) throw malformed(`${profile.what} must be a COSE_Key map`);
  /* Key confusion: a reader that wants a public key refuses a private part outright, so no
   * private key travels where only public keys belong. */
  if (!profile.privateParts && value.has(L.d)) throw malformed(`${profile.what} must be a public key; it carries a private part`);
  const kty = value.get(L.kty);
  if (kty === undefined && !value.has(L.kty)) throw malformed('COSE_Key has no kty');
  checkKty(kty, profile);
  const closed = profile.labels === 'closed';
  if (closed) {
    const allowed = KTY_LABELS[kty as number]!;
    for (const label of value.keys()) {
      if (!COMMON_LABELS.has(label) && !allowed.has(label)) throw malformed('COSE_Key holds a parameter Ward does not accept for its kty');
    }
  }
  const fields: Record<string, unknown> = { kty };
  const read = (label: number, name: string): void => {
    if (value.has(label)) {
      const v = value.get(label);
      if (v === undefined) throw malformed(`COSE_Key ${name} must not be undefined`);
      fields[name] = v;
    }
  };
  if (closed) {
    read(L.kid, 'kid');
    read(L.alg, 'alg');
    read(L.keyOps, 'keyOps');
    if (typeof fields.alg === 'string' || typeof fields.alg === 'bigint') throw new UnsupportedAlgorithmError('COSE_Key alg is not an algorithm Ward uses');
  }
  if (kty === L.ktySymmetric) {
    read(L.k, 'k');
    if (!value.has(L.k)) throw malformed('Symmetric COSE_Key has no k');
  } else {
    read(L.crv, 'crv');
    read(L.x, 'x');
    read(L.d, 'd');
    if (!value.has(L.crv)) throw malformed('COSE_Key has no crv');
    if (!value.has(L.x)) throw malformed('COSE_Key has no x');
    if (kty === L.ktyEC2) {
      read(L.y, 'y');
      if (!value.has(L.y)) throw malformed('COSE_Key has no y');
    }
  }
  return checkCoseKey(fields as unknown as CoseKey | CompressedEc2CoseKey, profile);
}

/**
 * The COSE_Key map of a checked key; with `requiredOnly`, just the parameters RFC 9679 §3
 * hashes. Internal to core.
 */
export function coseKeyToMap(key: CoseKey, requiredOnly = false): Map<CborValue, CborValue> {
  const map = new Map<CborValue, CborValue>([[L.kty, key.kty]]);
  if (!requiredOnly) {
    if (key.kid !== undefined) map.set(L.kid, key.kid);
    if (key.alg !== undefined) map.set(L.alg, key.alg);
    if (key.keyOps !== undefined) map.set(L.keyOps, [...key.keyOps]);
  }
  if (key.kty === L.ktySymmetric) {
    map.set(L.k, key.k);
  } else {
    map.set(L.crv, key.crv);
    map.set(L.x, key.x);
    if (key.kty === L.ktyEC2) map.set(L.y, key.y);
    if (!requiredOnly && key.d !== undefined) map.set(L.d, key.d);
  }
  return map;
}


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
  if (algorithm === 'X25519') return coseKeyToMap({ kty: L.ktyOKP, crv: L.crvX25519, x: raw });
  return coseKeyToMap({ kty: L.ktyEC2, crv: L.crvP256, x: raw.subarray(1, 33), y: raw.subarray(33, 65) });
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
  const key = parseCoseKeyMap(value, EPHEMERAL_AGREEMENT_KEY);
  let algorithm: KeyAgreementAlgorithm;
  let raw: Uint8Array;
  if (key.kty === L.ktyOKP) {
    algorithm = 'X25519';
    raw = key.x;
  } else if (key.kty === L.ktyEC2) {
    algorithm = 'ECDH-P256';
    /* SEC 1 §2.3.3: 0x04 ‖ x ‖ y, or 0x02 / 0x03 ‖ x for the compressed form (RFC 9053 §7.1.1). */
    if (typeof key.y === 'boolean') {
      raw = new Uint8Array(33);
      raw[0] = key.y ? 0x03 : 0x02;
      raw.set(key.x, 1);
    } else {
      raw = new Uint8Array(65);
      raw[0] = 0x04;
      raw.set(key.x, 1);
      raw.set(key.y, 33);
    }
  } else {
    throw new CoseError('ERR_COSE_MALFORMED', 'ephemeral key has no supported kty'); // unreachable: the profile reads no Symmetric key
  }
  /* Curve confusion: the peer's key must be on the recipient key's curve. */
  if (algorithm !== expected) throw new CoseError('ERR_COSE_MALFORMED', `ephemeral key is ${algorithm}, recipient key is ${expected}`);
  /* Invalid-curve attacks: the backend import validates the point (on the curve, right length). */
  const imported = backend.importKey(algorithm, 'public', raw);
  return isPromise(imported) ? await imported : imported;
}

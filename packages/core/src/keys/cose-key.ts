/*
 * COSE_Keys as the keys layer holds them: frozen key objects whose private and secret parameters
 * (`d`, `k`) print as "[redacted]"; encode and decode through the one codec in cose/cose-key.ts
 * under its STORED_COSE_KEY / PUBLIC_COSE_KEY profiles; the RFC 9679 thumbprint used as kid;
 * conversions to and from backend key handles, with the alg / key-type checks they need.
 */
import type { CborValue, DecodeCborOptions } from '../cbor/index.js';
import { decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CryptoBackend, KeyAlgorithm, KeyHandle } from '../backend/crypto-backend.js';
import { settle } from '../backend/crypto-backend.js';
import { CoseAlgorithm, CONTENT_ALGORITHMS, KEY_WRAP_ALGORITHMS, SIGNATURE_ALGORITHMS } from '../cose/algorithms.js';
import type { CoseCurve, CoseKey, CoseKeyCommon, CoseKeyOpValue, CoseKeyType } from '../cose/cose-key.js';
import {
  CoseKeyLabel as L, PUBLIC_COSE_KEY, STORED_COSE_KEY, checkCoseKey, coseKeyToMap, parseCoseKeyMap,
} from '../cose/cose-key.js';
import { ArgumentError, CoseError, KeyError, UnsupportedAlgorithmError } from '../errors.js';
import { checkBackendOption, checkKeyHandleOption, notAKeyHandle } from '../backend/validate.js';
import { sameBytes, toHex } from '../bytes.js';

/** Options of {@link decodeCoseKey}: CBOR limits plus what the caller expects. */
export interface DecodeCoseKeyOptions extends DecodeCborOptions {
  /**
   * Accept only public keys: a `d` parameter or a Symmetric key is refused with
   * `ERR_COSE_MALFORMED`. Default `false`.
   */
  readonly publicOnly?: boolean;
}

/** Options of {@link coseKeyFromHandle}. */
export interface CoseKeyFromHandleOptions {
  /** The kid to record (for example a {@link coseKeyThumbprint}). */
  readonly kid?: Uint8Array;
  /**
   * The COSE algorithm to record. `undefined` records the one algorithm the handle implies
   * (EdDSA, ES256, A128GCM…, ChaCha20/Poly1305, A128KW…, HMAC 256/256), none for ECDH keys;
   * `null` records none. A value that does not fit the key throws `ERR_COSE_ALGORITHM_MISMATCH`.
   */
  readonly alg?: number | null;
  /** The key_ops to record. */
  readonly keyOps?: readonly CoseKeyOpValue[];
}

/** Options of {@link importCoseKey}. */
export interface ImportCoseKeyOptions {
  /**
   * The backend algorithm to import as when the key's `alg` does not say (an EC2 key without
   * alg: `ECDSA-P256` or `ECDH-P256`; a Symmetric key without alg). When `alg` is present, it
   * must name the same algorithm.
   */
  readonly as?: KeyAlgorithm;
  /** Whether the imported private or secret key may be exported again. Default `false`. */
  readonly extractable?: boolean;
}

const REDACTED = '[redacted]';
const KTY_NAMES: Readonly<Record<CoseKeyType, string>> = { 1: 'OKP', 2: 'EC2', 4: 'Symmetric' };
const CRV_NAMES: Readonly<Record<CoseCurve, string>> = { 1: 'P-256', 4: 'X25519', 6: 'Ed25519' };
const ECDH_ALGS: ReadonlySet<number> = new Set([
  CoseAlgorithm.ECDH_ES_HKDF_256, CoseAlgorithm.ECDH_ES_A128KW, CoseAlgorithm.ECDH_ES_A192KW, CoseAlgorithm.ECDH_ES_A256KW,
]);
const KNOWN_ALGS: ReadonlySet<number> = new Set(Object.values(CoseAlgorithm));
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

const mismatch = (message: string): CoseError => new CoseError('ERR_COSE_ALGORITHM_MISMATCH', message);

/* ------------------------------------------------------------------------------------------ */
/* Validation and construction                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** The printable form of a key: public parameters in hex, `d` and `k` replaced by "[redacted]". */
function redactedView(key: CoseKey): Record<string, unknown> {
  const view: Record<string, unknown> = { kty: KTY_NAMES[key.kty] };
  if (key.kty !== L.ktySymmetric) view.crv = CRV_NAMES[key.crv];
  if (key.alg !== undefined) view.alg = key.alg;
  if (key.kid !== undefined) view.kid = toHex(key.kid);
  if (key.keyOps !== undefined) view.keyOps = [...key.keyOps];
  if (key.kty === L.ktySymmetric) {
    view.k = REDACTED;
  } else {
    view.x = toHex(key.x);
    if (key.kty === L.ktyEC2) view.y = toHex(key.y);
    if (key.d !== undefined) view.d = REDACTED;
  }
  return view;
}

function freezeRedacted(fields: CoseKey): CoseKey {
  const key: Record<string, unknown> = { kty: fields.kty };
  if (fields.kty !== L.ktySymmetric) key.crv = fields.crv;
  if (fields.alg !== undefined) key.alg = fields.alg;
  if (fields.kid !== undefined) key.kid = fields.kid.slice();
  if (fields.keyOps !== undefined) key.keyOps = Object.freeze([...fields.keyOps]);
  if (fields.kty === L.ktySymmetric) {
    key.k = fields.k.slice();
  } else {
    key.x = fields.x.slice();
    if (fields.kty === L.ktyEC2) key.y = fields.y.slice();
    if (fields.d !== undefined) key.d = fields.d.slice();
  }
  return freezeWithView(key as unknown as CoseKey, 'CoseKey', redactedView);
}

/**
 * Freezes `target` after giving it non-enumerable `toJSON`, `toString` and `util.inspect`
 * methods that print `view(target)`, so secrets it holds never reach a log. Internal to keys/.
 */
export function freezeWithView<T extends object>(target: T, name: string, view: (value: T) => Record<string, unknown>): T {
  const hidden = (value: unknown): PropertyDescriptor => ({ value, enumerable: false });
  Object.defineProperties(target, {
    toJSON: hidden(() => view(target)),
    toString: hidden(() => `${name} ${JSON.stringify(view(target))}`),
    [INSPECT]: hidden(() => view(target)),
  });
  return Object.freeze(target);
}

/**
 * Validates `fields` and returns a frozen COSE_Key (byte parameters copied) whose `d` and `k`
 * print as `"[redacted]"` through `String()`, `JSON.stringify()` and `util.inspect()`.
 *
 * @param fields - the key parameters
 * @returns the frozen, redacting key
 * @throws {@link CoseError} `ERR_COSE_MALFORMED` for wrong types or lengths
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for another kty or crv
 * @example
 * ```ts
 * import { createCoseKey } from '@ward/core/keys';
 *
 * const key = createCoseKey({ kty: 4, alg: 3, k: secret32 }); // A256GCM
 * JSON.stringify(key); // {"kty":"Symmetric","alg":3,"k":"[redacted]"}
 * ```
 */
export function createCoseKey(fields: CoseKey): CoseKey {
  return freezeRedacted(checkCoseKey(fields));
}

/* ------------------------------------------------------------------------------------------ */
/* Encoding and decoding                                                                       */
/* ------------------------------------------------------------------------------------------ */

/**
 * Encodes a COSE_Key as a deterministic CBOR map (RFC 8949 §4.2.1) with the RFC 9052 / 9053
 * labels. The key is validated first.
 *
 * @param key - the key
 * @returns the CBOR bytes
 * @throws {@link CoseError} `ERR_COSE_MALFORMED` for a key with wrong types or lengths
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for another kty or crv
 * @example
 * ```ts
 * import { encodeCoseKey, decodeCoseKey } from '@ward/core/keys';
 *
 * const bytes = encodeCoseKey({ kty: 1, crv: 6, x: ed25519PublicKey });
 * const again = decodeCoseKey(bytes, { publicOnly: true });
 * ```
 */
export function encodeCoseKey(key: CoseKey): Uint8Array {
  return encodeCbor(coseKeyToMap(checkCoseKey(key)));
}

/**
 * Decodes and strictly validates a COSE_Key: a CBOR map whose labels are the common
 * parameters (kty, kid, alg, key_ops) and those of its key type, nothing else; every value of
 * the right CBOR type and length (x, y, d: 32 bytes; k: 16 to 128 bytes; alg an integer;
 * key_ops a non-empty array of distinct integers 1 to 10); OKP and EC2 keys must carry `x`
 * (and `y`), also when they carry `d`. Map order does not matter unless `requireDeterministic`.
 *
 * @param bytes - the encoded COSE_Key (untrusted)
 * @param options - CBOR limits and {@link DecodeCoseKeyOptions.publicOnly}
 * @returns the frozen, redacting key
 * @throws {@link DecodeError} for CBOR that is malformed or exceeds a limit
 * @throws {@link CoseError} `ERR_COSE_MALFORMED` for a map of the wrong shape, or a private part when `publicOnly`
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for a kty or crv Ward does not use
 * @example
 * ```ts
 * import { decodeCoseKey } from '@ward/core/keys';
 *
 * const peerKey = decodeCoseKey(received, { publicOnly: true, maxBytes: 1024 });
 * ```
 */
export function decodeCoseKey(bytes: Uint8Array, options?: DecodeCoseKeyOptions): CoseKey {
  const { publicOnly = false, ...cborOptions } = options ?? {};
  return decodeCoseKeyValue(decodeCbor(bytes, { rejectIntegralFloats: true, ...cborOptions }), publicOnly);
}

/**
 * The COSE_Key map of `key` (validated), for documents that embed COSE_Keys, such as a
 * COSE_KeySet. Internal to core.
 */
export function encodeCoseKeyValue(key: CoseKey): Map<CborValue, CborValue> {
  return coseKeyToMap(checkCoseKey(key));
}

/**
 * Validates an already decoded COSE_Key map as {@link decodeCoseKey} does. Internal to core:
 * for documents that embed COSE_Keys and were decoded with `rejectIntegralFloats`.
 */
export function decodeCoseKeyValue(value: CborValue, publicOnly = false): CoseKey {
  return freezeRedacted(parseCoseKeyMap(value, publicOnly ? PUBLIC_COSE_KEY : STORED_COSE_KEY) as CoseKey);
}

/* ------------------------------------------------------------------------------------------ */
/* Thumbprint                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/**
 * The deterministic CBOR encoding of only the required parameters of `key` (RFC 9679 §3):
 * OKP kty, crv, x; EC2 kty, crv, x, y; Symmetric kty, k.
 */
function thumbprintInput(key: CoseKey): Uint8Array {
  checkCoseKey(key);
  return encodeCbor(coseKeyToMap(key, true));
}

/**
 * The COSE Key Thumbprint of `key` (RFC 9679 §3) with SHA-256: the hash of the deterministic
 * CBOR map of only the required public parameters. kid, alg, key_ops and `d` are not part of
 * it, so a private key and its public key have the same thumbprint, which Ward uses as kid.
 *
 * @param key - the key (public, private or symmetric)
 * @param backend - the backend whose `sha256` hashes
 * @returns the 32-byte thumbprint
 * @throws {@link CoseError} `ERR_COSE_MALFORMED` for a malformed key
 * @example
 * ```ts
 * import { createNobleBackend } from '@ward/core';
 * import { coseKeyThumbprint, coseKeyFromHandle } from '@ward/core/keys';
 *
 * const backend = createNobleBackend();
 * const publicKey = await backend.publicKey(await backend.generateKey('Ed25519'));
 * const kid = await coseKeyThumbprint(await coseKeyFromHandle(backend, publicKey), backend);
 * ```
 */
export async function coseKeyThumbprint(key: CoseKey, backend: CryptoBackend): Promise<Uint8Array> {
  checkBackendOption(backend, 'coseKeyThumbprint() backend');
  return settle(backend.sha256(thumbprintInput(key)));
}

/* ------------------------------------------------------------------------------------------ */
/* Backend handles                                                                             */
/* ------------------------------------------------------------------------------------------ */

/** The one COSE alg a backend algorithm of a key of `size` bytes implies, if there is one. */
function impliedAlg(algorithm: KeyAlgorithm, size: number): number | undefined {
  switch (algorithm) {
    case 'Ed25519': return CoseAlgorithm.EdDSA;
    case 'ECDSA-P256': return CoseAlgorithm.ES256;
    case 'ChaCha20-Poly1305': return CoseAlgorithm.ChaCha20Poly1305;
    case 'HMAC-SHA256': return CoseAlgorithm.HMAC_256_256;
    case 'AES-GCM': return size === 16 ? CoseAlgorithm.A128GCM : size === 24 ? CoseAlgorithm.A192GCM : CoseAlgorithm.A256GCM;
    case 'AES-KW': return size === 16 ? CoseAlgorithm.A128KW : size === 24 ? CoseAlgorithm.A192KW : CoseAlgorithm.A256KW;
    default: return undefined;
  }
}

/**
 * Checks that COSE `alg` may be used with a key of backend `algorithm` and `size` bytes.
 * Unknown algorithms are unsupported; known ones that do not fit are a mismatch.
 */
function checkAlgFits(alg: number, algorithm: KeyAlgorithm, size: number): void {
  /* RFC 9052 §7.1: alg restricts the key to one algorithm; cross-algorithm key reuse is refused. */
  if (!KNOWN_ALGS.has(alg) || alg === CoseAlgorithm.Direct) throw new UnsupportedAlgorithmError(`COSE alg ${alg} is not one Ward imports keys for`);
  let fits: boolean;
  switch (algorithm) {
    // RFC 9864 §2: the polymorphic and the fully-specified identifier (EdDSA -8 / Ed25519 -19,
    // ES256 -7 / ESP256 -9) both fit; the other algorithm's never does
    case 'Ed25519':
    case 'ECDSA-P256': fits = SIGNATURE_ALGORITHMS.get(alg) === algorithm; break;
    case 'X25519':
    case 'ECDH-P256': fits = ECDH_ALGS.has(alg); break;
    case 'AES-GCM':
    case 'ChaCha20-Poly1305': {
      const content = CONTENT_ALGORITHMS.get(alg);
      fits = content?.aead === algorithm && content.keyLength === size;
      break;
    }
    case 'AES-KW': fits = KEY_WRAP_ALGORITHMS.get(alg) === size; break;
    case 'HMAC-SHA256': fits = alg === CoseAlgorithm.HMAC_256_256 && size >= 32; break;
  }
  if (!fits) throw mismatch(`COSE alg ${alg} does not fit a ${size}-byte ${algorithm} key`);
}

/** The backend algorithm a Symmetric COSE alg names. */
function symmetricAlgorithmOf(alg: number): KeyAlgorithm | undefined {
  const content = CONTENT_ALGORITHMS.get(alg);
  if (content) return content.aead;
  if (KEY_WRAP_ALGORITHMS.has(alg)) return 'AES-KW';
  if (alg === CoseAlgorithm.HMAC_256_256) return 'HMAC-SHA256';
  return undefined;
}

/**
 * The COSE_Key of a backend key handle. Public keys are always exported; private and secret
 * keys only when the handle is extractable. A private key's COSE_Key carries its public
 * parameters too.
 *
 * @param backend - the backend holding the key
 * @param handle - the key
 * @param options - kid, alg (defaults to the one the key implies) and key_ops to record
 * @returns the frozen, redacting COSE_Key
 * @throws {@link KeyError} `ERR_KEY_NOT_EXTRACTABLE` for a private or secret key that may not leave the backend
 * @throws {@link CoseError} `ERR_COSE_ALGORITHM_MISMATCH` for an `alg` that does not fit the key
 * @example
 * ```ts
 * import { createNobleBackend } from '@ward/core';
 * import { coseKeyFromHandle, coseKeyThumbprint, encodeCoseKey } from '@ward/core/keys';
 *
 * const backend = createNobleBackend();
 * const signingKey = await backend.generateKey('ECDSA-P256', { extractable: true });
 * const kid = await coseKeyThumbprint(await coseKeyFromHandle(backend, signingKey), backend);
 * const stored = encodeCoseKey(await coseKeyFromHandle(backend, signingKey, { kid })); // alg -7
 * ```
 */
export async function coseKeyFromHandle(
  backend: CryptoBackend,
  handle: KeyHandle,
  options?: CoseKeyFromHandleOptions,
): Promise<CoseKey> {
  checkBackendOption(backend, 'coseKeyFromHandle() backend');
  checkKeyHandleOption(handle, 'coseKeyFromHandle() handle');
  if (handle.kind !== 'public' && !handle.extractable) {
    throw new KeyError('ERR_KEY_NOT_EXTRACTABLE', `this ${handle.algorithm} ${handle.kind} key is not extractable; it has no COSE_Key`);
  }
  const alg = options?.alg === undefined ? impliedAlg(handle.algorithm, handle.size) : (options.alg ?? undefined);
  if (alg !== undefined) checkAlgFits(alg, handle.algorithm, handle.size);
  const common: CoseKeyCommon = {
    ...(alg !== undefined ? { alg } : {}),
    ...(options?.kid !== undefined ? { kid: options.kid } : {}),
    ...(options?.keyOps !== undefined ? { keyOps: options.keyOps } : {}),
  };
  const raw = await settle(backend.exportKey(handle));
  try {
    if (handle.kind === 'secret') return createCoseKey({ kty: 4, ...common, k: raw });
    const isPrivate = handle.kind === 'private';
    const publicRaw = isPrivate
      ? await settle(backend.exportKey(await settle(backend.publicKey(handle as KeyHandle<'Ed25519', 'private'>))))
      : raw;
    const d = isPrivate ? { d: raw } : {};
    switch (handle.algorithm) {
      case 'Ed25519': return createCoseKey({ kty: 1, crv: 6, ...common, x: publicRaw, ...d });
      case 'X25519': return createCoseKey({ kty: 1, crv: 4, ...common, x: publicRaw, ...d });
      default:
        return createCoseKey({ kty: 2, crv: 1, ...common, x: publicRaw.subarray(1, 33), y: publicRaw.subarray(33, 65), ...d });
    }
  } finally {
    if (handle.kind !== 'public') raw.fill(0);
  }
}

/** The backend algorithm for `key`, from its kty/crv, alg and the caller's `as`. */
function backendAlgorithmOf(key: CoseKey, as: KeyAlgorithm | undefined): KeyAlgorithm {
  let candidates: readonly KeyAlgorithm[];
  let fromAlg: KeyAlgorithm | undefined;
  if (key.kty === L.ktyOKP) {
    candidates = key.crv === L.crvEd25519 ? ['Ed25519'] : ['X25519'];
    fromAlg = candidates[0];
  } else if (key.kty === L.ktyEC2) {
    candidates = ['ECDSA-P256', 'ECDH-P256'];
    if (key.alg !== undefined && SIGNATURE_ALGORITHMS.get(key.alg) === 'ECDSA-P256') fromAlg = 'ECDSA-P256'; // ES256 or ESP256
    else if (key.alg !== undefined && ECDH_ALGS.has(key.alg)) fromAlg = 'ECDH-P256';
  } else {
    candidates = ['AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256'];
    if (key.alg !== undefined) fromAlg = symmetricAlgorithmOf(key.alg);
  }
  if (as !== undefined && !candidates.includes(as)) {
    throw mismatch(`a ${KTY_NAMES[key.kty]} COSE_Key cannot be imported as ${as}`);
  }
  if (key.alg !== undefined && key.kty !== L.ktyOKP && fromAlg === undefined) {
    if (!KNOWN_ALGS.has(key.alg)) throw new UnsupportedAlgorithmError(`COSE alg ${key.alg} is not one Ward imports keys for`);
    throw mismatch(`COSE alg ${key.alg} does not fit a ${KTY_NAMES[key.kty]} key`);
  }
  if (key.alg !== undefined && as !== undefined && fromAlg !== undefined && fromAlg !== as) {
    throw mismatch(`the COSE_Key alg ${key.alg} is for ${fromAlg}, not ${as}`);
  }
  const algorithm = key.alg !== undefined ? fromAlg : (as ?? (candidates.length === 1 ? candidates[0] : undefined));
  if (algorithm === undefined) {
    throw new ArgumentError(`a ${KTY_NAMES[key.kty]} COSE_Key without alg is ambiguous; say which algorithm with the "as" option`);
  }
  return algorithm;
}

/**
 * Imports a COSE_Key into `backend` as a handle for exactly one backend algorithm: OKP/6 →
 * `Ed25519`, OKP/4 → `X25519`, EC2/1 → `ECDSA-P256` (alg -7 or -9) or `ECDH-P256` (ECDH-ES algs),
 * Symmetric → `AES-GCM` (A128/192/256GCM), `ChaCha20-Poly1305` (24), `AES-KW` (A128/192/256KW)
 * or `HMAC-SHA256` (5). The `alg`, when present, must fit the key (its size too); without one,
 * an EC2 or Symmetric key needs {@link ImportCoseKeyOptions.as}. A key with `d` is imported as
 * a private key after checking that `x` (and `y`) are its public key.
 *
 * @param backend - the backend to import into
 * @param key - the COSE_Key
 * @param options - `as` for keys without alg; `extractable`
 * @returns the key handle (private when `d` is present, secret for Symmetric, else public)
 * @throws {@link CoseError} `ERR_COSE_ALGORITHM_MISMATCH` when alg, `as` and the key disagree
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for an EC2 or Symmetric key without alg or `as`
 * @throws {@link KeyError} `ERR_KEY_INVALID` for a point not on the curve or a `d` that does not match `x`/`y`
 * @example
 * ```ts
 * import { decodeCoseKey, importCoseKey } from '@ward/core/keys';
 *
 * const verifyingKey = await importCoseKey(backend, decodeCoseKey(stored, { publicOnly: true }));
 * const agreementKey = await importCoseKey(backend, ec2KeyWithoutAlg, { as: 'ECDH-P256' });
 * ```
 */
export async function importCoseKey(backend: CryptoBackend, key: CoseKey, options?: ImportCoseKeyOptions): Promise<KeyHandle> {
  checkBackendOption(backend, 'importCoseKey() backend');
  if (key instanceof Uint8Array) throw new ArgumentError('importCoseKey() key is encoded bytes: decode it with decodeCoseKey(bytes) first');
  if (notAKeyHandle(key) === undefined) throw new ArgumentError('importCoseKey() key is already a key handle: use it as it is');
  checkCoseKey(key);
  const algorithm = backendAlgorithmOf(key, options?.as);
  const keyOptions = { extractable: options?.extractable ?? false };
  if (key.kty === L.ktySymmetric) {
    if (key.alg !== undefined) checkAlgFits(key.alg, algorithm, key.k.length);
    if (algorithm === 'ChaCha20-Poly1305' && key.k.length !== 32) throw mismatch('a ChaCha20-Poly1305 key must be 32 bytes');
    if (algorithm === 'AES-GCM' || algorithm === 'AES-KW') {
      if (key.k.length !== 16 && key.k.length !== 24 && key.k.length !== 32) throw mismatch(`an ${algorithm} key must be 16, 24 or 32 bytes`);
    }
    if (algorithm === 'HMAC-SHA256' && key.k.length < 32) throw mismatch('an HMAC-SHA256 key must be at least 32 bytes');
    return settle(backend.importKey(algorithm, 'secret', key.k, keyOptions));
  }
  if (key.alg !== undefined) checkAlgFits(key.alg, algorithm, 32);
  let publicRaw: Uint8Array;
  if (key.kty === L.ktyOKP) {
    publicRaw = key.x;
  } else {
    publicRaw = new Uint8Array(65);
    publicRaw[0] = 0x04;
    publicRaw.set(key.x, 1);
    publicRaw.set(key.y, 33);
  }
  /* Invalid-curve attacks: the backend import validates the point (on the curve, right length). */
  if (key.d === undefined) return settle(backend.importKey(algorithm, 'public', publicRaw));
  const privateKey = await settle(backend.importKey(algorithm, 'private', key.d, keyOptions));
  const derived = await settle(backend.exportKey(await settle(backend.publicKey(privateKey as KeyHandle<'Ed25519', 'private'>))));
  /* Key substitution: a stored d that does not match x/y would sign or decrypt under another
   * key's thumbprint (RFC 9679 §3 hashes x/y, not d). */
  if (!sameBytes(derived, publicRaw)) throw new KeyError('ERR_KEY_INVALID', 'the COSE_Key d does not belong to its x/y');
  return privateKey;
}

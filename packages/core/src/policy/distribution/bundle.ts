/*
 * Policy bundles: OPA's bundle format (a gzipped tar of `.manifest`, `data.json` files, Rego
 * sources and the compiled `policy.wasm`), read safely and with a signature verified in the
 * form the caller names: OPA's `.signatures.json` (a JWS), Ward's `.signatures.cose` (a
 * COSE_Sign1 by a trust-store key), or explicitly none. This file holds the public API and
 * the order of the steps; each step has its own file.
 *
 * Reading goes: size-bounded gunzip (gzip.ts) → strict tar (tar.ts) → layout checks
 * (bundle-layout.ts) → the signature over the raw files (opa-signature.ts, ward-signature.ts)
 * → only then are the manifest and data interpreted (bundle-layout.ts, strict-json.ts) and the
 * wasm picked. Every failure is a PolicyError; nothing of a refused bundle is returned.
 */
import type { CryptoBackend, SigningKey, VerifyingKey } from '../../backend/crypto-backend.js';
import { settle } from '../../backend/crypto-backend.js';
import { ArgumentError, PolicyError } from '../../errors.js';
import { deepFreeze } from '../../freeze.js';
import { importSpkiPublicKey } from '../../keys/spki.js';
import { resolveLimits } from '../../limits.js';
import { isSeconds, isWellFormedText } from '../../text.js';
import { compareCodePoints, opaCanonicalBytes } from '../strict-json.js';
import {
  JsonFiles, SIGNATURES_COSE, interpret, isStructured, layoutOf, opaSignedPaths, wardSignedFiles,
} from './bundle-layout.js';
import type { BundleLayout, PolicyBundleManifest } from './bundle-layout.js';
import { gunzipBounded, gzipDeterministic } from './gzip.js';
import { verifyOpaSignature } from './opa-signature.js';
import type { OpaBundleVerification } from './opa-signature.js';
import { bundleInvalid as invalid, quoted, signatureRefused } from './refusal.js';
import { readTar, writeTar } from './tar.js';
import { signWardSignature, verifyWardSignature } from './ward-signature.js';
import type { WardBundleVerification } from './ward-signature.js';

/** Ceilings on a policy bundle, each checked before the thing it bounds is allocated or parsed. */
export interface PolicyBundleLimits {
  /** Largest decompressed tar stream, in bytes; counted while inflating (gzip bombs stop here). Default 32 MiB. */
  readonly maxUncompressedBytes: number;
  /** Most regular files in the bundle. Default 1024. */
  readonly maxFiles: number;
  /** Largest single file, in bytes, checked from its tar header. Default 16 MiB. */
  readonly maxFileBytes: number;
  /** Deepest nesting of arrays and objects in a JSON file (`data.json`, `.manifest`). At most 1000. Default 64. */
  readonly maxJsonDepth: number;
}

/**
 * The default {@link PolicyBundleLimits}: 32 MiB decompressed, 1024 files, 16 MiB per file,
 * JSON nested 64 deep. A compiled Rego policy is typically 100 KiB to a few MiB of wasm.
 *
 * @example
 * ```ts
 * import { readPolicyBundle } from '@ward/core';
 * import { DEFAULT_POLICY_BUNDLE_LIMITS } from '@ward/core/policy';
 *
 * const bundle = await readPolicyBundle(bytes, {
 *   backend,
 *   verification: { form: 'ward', trust: trustStore.keySource('policy-bundle') },
 *   limits: { ...DEFAULT_POLICY_BUNDLE_LIMITS, maxUncompressedBytes: 8 * 1024 * 1024 },
 * });
 * ```
 */
export const DEFAULT_POLICY_BUNDLE_LIMITS: Readonly<PolicyBundleLimits> = Object.freeze({
  maxUncompressedBytes: 32 * 1024 * 1024,
  maxFiles: 1024,
  maxFileBytes: 16 * 1024 * 1024,
  maxJsonDepth: 64,
});

/** Read a bundle without checking any signature (development only); the result says `form: 'none'`. */
export interface UnsignedBundleVerification {
  /** No signature is checked; signature files in the bundle are ignored. */
  readonly form: 'none';
}

/** Which signature {@link readPolicyBundle} must verify. There is no default: unsigned is said explicitly. */
export type PolicyBundleVerification = OpaBundleVerification | WardBundleVerification | UnsignedBundleVerification;

/** Options of {@link readPolicyBundle}. */
export interface ReadPolicyBundleOptions {
  /** Hashes the bundle and verifies its signature. */
  readonly backend: CryptoBackend;
  /** The signature form to verify, and its keys. */
  readonly verification: PolicyBundleVerification;
  /** Size ceilings. Default {@link DEFAULT_POLICY_BUNDLE_LIMITS}. */
  readonly limits?: Partial<PolicyBundleLimits> | undefined;
}

/** How a bundle was signed, as verified. */
export interface PolicyBundleSignature {
  /** The signature form that verified, or `'none'` when none was asked for. */
  readonly form: 'opa' | 'ward' | 'none';
  /** The signer's key id: the JWS key id (`opa`), the COSE kid in lowercase hex (`ward`). */
  readonly keyId?: string;
  /** The signer's identity, CWT `iss` (`ward` only). */
  readonly issuer?: string;
  /** When the signer claims to have signed, CWT `iat` in seconds since the epoch (`ward` only). */
  readonly issuedAt?: number;
}

/** A read, verified policy bundle. Frozen, `data` included. */
export interface PolicyBundle {
  /** The compiled policy: `/policy.wasm`, or the one module the manifest names. */
  readonly wasm: Uint8Array;
  /** Every `data.json`, merged at its directory path as OPA does (`a/b/data.json` → `{ a: { b: … } }`). */
  readonly data: unknown;
  /** The manifest. */
  readonly manifest: PolicyBundleManifest;
  /** The manifest's revision (for rollback checks by the engine). */
  readonly revision: string;
  /** SHA-256 of the whole bundle as given (the gzip bytes), for decision logs. */
  readonly digest: Uint8Array;
  /** The signature that verified. */
  readonly signature: PolicyBundleSignature;
}

/** Options of {@link signPolicyBundle}. */
export interface SignPolicyBundleOptions {
  /** The backend that holds `signer.key`. */
  readonly backend: CryptoBackend;
  /**
   * The signing key and its kid. Verifiers must trust the public key under this kid with role
   * `policy-bundle` and issuer `issuer`.
   */
  readonly signer: { readonly key: SigningKey; readonly kid: Uint8Array };
  /** The signer's identity, written as the CWT `iss` claim (1 to 256 characters). */
  readonly issuer: string;
  /** Seconds since the epoch, written as the CWT `iat` claim. Default now. */
  readonly issuedAt?: number;
  /** The limits the bundle must meet, before and after signing. Default {@link DEFAULT_POLICY_BUNDLE_LIMITS}. */
  readonly limits?: Partial<PolicyBundleLimits> | undefined;
}

/** Deepest `maxJsonDepth` a caller may set. */
const MAX_JSON_DEPTH = 1000;

function resolveBundleLimits(limits: Partial<PolicyBundleLimits> | undefined): PolicyBundleLimits {
  const resolved = resolveLimits(DEFAULT_POLICY_BUNDLE_LIMITS, limits, { what: 'policy bundle limit' });
  /* The JSON parser recurses once per level: the depth stays far from any engine's stack limit. */
  if (resolved.maxJsonDepth > MAX_JSON_DEPTH) throw new ArgumentError(`policy bundle limit maxJsonDepth must be at most ${MAX_JSON_DEPTH}`);
  return resolved;
}

/** The arguments both entry points take first: the bundle bytes, an options object, a backend. */
function checkArguments(bundle: unknown, options: unknown, name: string): void {
  if (!(bundle instanceof Uint8Array)) throw new ArgumentError('bundle must be a Uint8Array');
  if (typeof options !== 'object' || options === null) throw new ArgumentError(`${name}() needs options`);
  const { backend } = options as { backend?: unknown };
  if (typeof backend !== 'object' || backend === null) throw new ArgumentError('options need a backend');
}

function checkVerification(verification: unknown): PolicyBundleVerification {
  if (typeof verification !== 'object' || verification === null) {
    throw new ArgumentError("options need verification: { form: 'opa' | 'ward' | 'none', … }");
  }
  const v = verification as { form?: unknown; keys?: unknown; scope?: unknown; trust?: unknown };
  if (v.form === 'opa') {
    if (typeof v.keys !== 'object' || v.keys === null) throw new ArgumentError("verification { form: 'opa' } needs keys: { [keyId]: VerifyingKey }");
    if (v.scope !== undefined && typeof v.scope !== 'string') throw new ArgumentError('verification scope must be a string');
  } else if (v.form === 'ward') {
    if (v.trust === undefined || v.trust === null) throw new ArgumentError("verification { form: 'ward' } needs trust (e.g. trustStore.keySource('policy-bundle'))");
  } else if (v.form !== 'none') {
    throw new ArgumentError("verification form must be 'opa', 'ward' or 'none'");
  }
  return verification as PolicyBundleVerification;
}

/** Verification with every key a handle: PEM public keys imported (the one place they are read). */
type ResolvedVerification =
  | (OpaBundleVerification & { readonly keys: Readonly<Record<string, VerifyingKey>> })
  | (WardBundleVerification & { readonly trust: Exclude<WardBundleVerification['trust'], string> })
  | UnsignedBundleVerification;

/**
 * Imports the PEM public keys of `verification` (SubjectPublicKeyInfo, keys/spki.ts), before
 * any byte of the bundle is read: a malformed key is the caller's mistake (a KeyError), never
 * a bundle that fails to verify.
 */
async function resolveKeys(verification: PolicyBundleVerification, backend: CryptoBackend): Promise<ResolvedVerification> {
  if (verification.form === 'opa') {
    const keys: Record<string, VerifyingKey> = {};
    for (const [keyId, key] of Object.entries(verification.keys)) {
      keys[keyId] = typeof key === 'string' ? await importSpkiPublicKey(backend, key) : key;
    }
    return { ...verification, keys };
  }
  if (verification.form === 'ward' && typeof verification.trust === 'string') {
    return { ...verification, trust: await importSpkiPublicKey(backend, verification.trust) };
  }
  return verification as ResolvedVerification;
}

/** Unpacks a bundle (gunzip, then tar, each within `limits`) and sorts its files by role. */
function unpack(bundle: Uint8Array, limits: PolicyBundleLimits): BundleLayout {
  return layoutOf(readTar(gunzipBounded(bundle, limits.maxUncompressedBytes), limits));
}

async function sha256(backend: CryptoBackend, data: Uint8Array): Promise<Uint8Array> {
  return settle(backend.sha256(data));
}

/**
 * Runs one step of reading or signing, failing closed: anything it throws that is not already
 * a PolicyError leaves as one with `code`, the original kept as cause.
 */
async function failClosed<T>(code: 'ERR_POLICY_BUNDLE_INVALID' | 'ERR_POLICY_BUNDLE_SIGNATURE', step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (PolicyError.isInstance(error)) throw error;
    throw new PolicyError(code, code === 'ERR_POLICY_BUNDLE_SIGNATURE' ? 'policy bundle: signature refused' : 'policy bundle: refused', { cause: error });
  }
}

/** SHA-256 of every file `.signatures.cose` covers, by path. */
async function wardDigests(layout: BundleLayout, backend: CryptoBackend): Promise<Map<string, Uint8Array>> {
  const digests = new Map<string, Uint8Array>();
  for (const file of wardSignedFiles(layout)) digests.set(file.path, await sha256(backend, file.data));
  return digests;
}

/** Verifies the signature `verification` asks for, over the raw files; nothing is interpreted yet. */
async function verifySignature(
  layout: BundleLayout,
  json: JsonFiles,
  verification: ResolvedVerification,
  backend: CryptoBackend,
  limits: PolicyBundleLimits,
): Promise<{ signature: PolicyBundleSignature; signedRevision?: string }> {
  if (verification.form === 'none') return { signature: Object.freeze({ form: 'none' }) };
  return failClosed('ERR_POLICY_BUNDLE_SIGNATURE', async () => {
    if (verification.form === 'opa') {
      /* Stripped signatures: a bundle without the requested signature is refused, never read as unsigned. */
      if (layout.signaturesJson === undefined) throw signatureRefused('no .signatures.json (the bundle is not OPA-signed)');
      /* OPA hashes a structured file's canonical JSON, any other file's raw bytes (v1/bundle/hash.go). */
      const opaHash = async (path: string): Promise<Uint8Array> =>
        sha256(backend, isStructured(path) ? opaCanonicalBytes(json.get(path)) : layout.byPath.get(path)!);
      const facts = await verifyOpaSignature(layout.signaturesJson, opaSignedPaths(layout), opaHash, verification, backend);
      return { signature: Object.freeze({ form: 'opa' as const, keyId: facts.keyId }) };
    }
    /* Stripped signatures, as above. */
    if (layout.signaturesCose === undefined) throw signatureRefused('no .signatures.cose (the bundle is not Ward-signed)');
    const digests = await wardDigests(layout, backend);
    const facts = await verifyWardSignature(layout.signaturesCose, digests, verification, backend, limits.maxFiles);
    return {
      signature: Object.freeze({ form: 'ward' as const, keyId: facts.keyId, issuer: facts.issuer, issuedAt: facts.issuedAt }),
      signedRevision: facts.revision,
    };
  });
}

/**
 * Reads an OPA bundle (`.tar.gz`), verifies its signature in the form `verification` names,
 * and returns its compiled policy, merged data, manifest, revision and digest.
 *
 * Checks, in order:
 * 1. gzip (RFC 1952): one member, header flags, CRC-32 and length; inflating stops as soon as
 *    the output passes `maxUncompressedBytes` (the ISIZE field is never trusted);
 * 2. tar: regular files and directories only (no links, devices, FIFOs, sparse files), every
 *    header checksum, names normalised (a leading `/` dropped) and refused when they hold `..`,
 *    control characters or backslashes, repeat, or exceed the limits; the end-of-archive
 *    marker present and followed by zeros only;
 * 3. layout: `.manifest` and signature files only in the root; no YAML data, delta
 *    (`patch.json`) or protobuf manifest;
 * 4. the signature, over the raw files, before anything is interpreted:
 *    - `opa`: `.signatures.json` holds exactly one JWS; its `kid` (else its `keyid` claim)
 *      names a key in `keys`; the JWS `alg` is that key's (`ES256` for P-256, `EdDSA` for
 *      Ed25519); the signature verifies; the `scope` claim equals `scope` (or is absent when
 *      no scope is given); and the signed list names exactly every file but
 *      `.signatures.json`, each with its SHA-256 as OPA computes it (raw bytes, or for
 *      `data.json` and `.manifest` the canonical JSON of strict-json.ts);
 *    - `ward`: `.signatures.cose` verifies with `trust`, has the bundle content type, and its
 *      payload maps exactly every file but the signature files to its SHA-256, with the
 *      manifest's revision;
 *    - `none`: nothing is checked (signature files are ignored) and `signature.form` says so;
 * 5. the manifest (strict JSON; OPA's fields only), every `data.json` (strict JSON, merged at
 *    its directory, conflicts refused), the manifest roots (no overlaps; data and
 *    entrypoints inside them), and exactly one `policy.wasm` (the one the manifest names).
 *
 * Revision ordering (rollback) is the policy engine's decision: this returns `revision` as is.
 *
 * @param bundle - the bundle bytes (untrusted)
 * @param options - backend, verification (required), limits
 * @returns the frozen bundle
 * @throws {@link PolicyError} `ERR_POLICY_BUNDLE_INVALID` for a malformed bundle or an exceeded
 *   limit; `ERR_POLICY_BUNDLE_SIGNATURE` when the requested signature is missing, malformed,
 *   by an unknown or untrusted key, does not verify, or does not cover exactly the bundle's
 *   files (the precise failure, e.g. a TrustError, in `cause`)
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for bad options
 * @throws {@link KeyError} `ERR_KEY_INVALID` for a PEM key in `verification` that is not one
 *   `PUBLIC KEY` block holding an Ed25519 or P-256 SubjectPublicKeyInfo
 * @example
 * ```ts
 * import { TrustStore, createNobleBackend, readPolicyBundle } from '@ward/core';
 *
 * const backend = createNobleBackend();
 * // Ward-signed, with the city's trust store:
 * const bundle = await readPolicyBundle(bytes, {
 *   backend,
 *   verification: { form: 'ward', trust: trustStore.keySource('policy-bundle') },
 * });
 * await engine.activate(bundle);
 *
 * // Built with `opa build --signing-key city.pem --signing-alg ES256 --verification-key-id city`:
 * // the public key as PEM (`openssl ec -in city.pem -pubout`), or a key handle.
 * const opaSigned = await readPolicyBundle(bytes, {
 *   backend,
 *   verification: { form: 'opa', keys: { city: await readFile('city.pub.pem', 'utf8') } },
 * });
 * ```
 */
export async function readPolicyBundle(bundle: Uint8Array, options: ReadPolicyBundleOptions): Promise<PolicyBundle> {
  checkArguments(bundle, options, 'readPolicyBundle');
  const limits = resolveBundleLimits(options.limits);
  const { backend } = options;
  const verification = await resolveKeys(checkVerification(options.verification), backend);
  return failClosed('ERR_POLICY_BUNDLE_INVALID', async () => {
    const digest = await sha256(backend, bundle);
    const layout = unpack(bundle, limits);
    const json = new JsonFiles(layout, limits.maxJsonDepth);
    const { signature, signedRevision } = await verifySignature(layout, json, verification, backend, limits);
    const { manifest, data, wasm } = interpret(layout, json);
    /* Revision substitution (rollback): the Ward signature binds the revision the engine's rollback check sees. */
    if (signedRevision !== undefined && signedRevision !== manifest.revision) {
      throw signatureRefused(`signed revision ${quoted(signedRevision)} is not the manifest's ${quoted(manifest.revision)}`);
    }
    /* Own what you return: the bundle, its data and its digest are frozen or copied. */
    return Object.freeze({ wasm, data: deepFreeze(data), manifest, revision: manifest.revision, digest: digest.slice(), signature });
  });
}

/**
 * Signs a bundle in Ward's form: returns new bundle bytes with `.signatures.cose` added (an
 * existing one is replaced; every other file, `.signatures.json` included, is kept byte for
 * byte). The bundle is checked as {@link readPolicyBundle} would read it first, so only a
 * bundle Ward accepts is signed. The output is deterministic: entries sorted by path and
 * named with a leading `/` as `opa build` names them (OPA matches manifest module paths
 * literally), mode 0644, owner 0, mtime 0, gzip with mtime 0; only the signature (ECDSA is
 * randomised) varies. OPA reads the result like any bundle it built.
 *
 * ## Format of `.signatures.cose`
 *
 * A tagged COSE_Sign1 (RFC 9052 §4.2) with
 * - protected header: `1` (alg) EdDSA or ES256, `3` (content type) the text
 *   `"application/ward-policy-bundle+cbor"`, `4` (kid) the signer's kid, `15` (CWT claims,
 *   RFC 9597) `{1 (iss): issuer, 6 (iat): issuedAt}`; nothing else;
 * - unprotected header: the empty map;
 * - payload, deterministic CBOR (RFC 8949 §4.2.1):
 *
 * ```
 * payload = {
 *   1: tstr,              ; revision: equal to the manifest's ("" without one)
 *   2: { * tstr => bstr } ; every file but .signatures.json and .signatures.cose:
 *                         ; canonical path (no leading "/") => SHA-256 of its bytes (32 bytes)
 * }
 * ```
 *
 * A bundle carrying both signatures is not OPA-verifiable: OPA requires `.signatures.cose` to
 * be in its own signed list.
 *
 * @param bundle - the bundle bytes
 * @param options - backend, signer key and kid, issuer, issuedAt, limits
 * @returns the signed bundle bytes
 * @throws {@link PolicyError} `ERR_POLICY_BUNDLE_INVALID` when the bundle is not one
 *   {@link readPolicyBundle} accepts, or would exceed the limits once signed
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for bad options (issuer, kid, time)
 * @throws {@link KeyError} when `signer.key` is not a signing key of `backend`
 * @example
 * ```ts
 * import { readPolicyBundle, signPolicyBundle } from '@ward/core';
 *
 * const signed = await signPolicyBundle(await readFile('bundle.tar.gz'), {
 *   backend,
 *   signer: { key: policyAdminKey, kid: policyAdminKid },
 *   issuer: 'city-policy-admin',
 * });
 * // on every verifier, whose trust store holds the admin key with role 'policy-bundle':
 * const bundle = await readPolicyBundle(signed, {
 *   backend,
 *   verification: { form: 'ward', trust: trustStore.keySource('policy-bundle') },
 * });
 * ```
 */
export async function signPolicyBundle(bundle: Uint8Array, options: SignPolicyBundleOptions): Promise<Uint8Array> {
  checkArguments(bundle, options, 'signPolicyBundle');
  const { backend, signer } = options;
  if (typeof signer !== 'object' || signer === null || typeof signer.key !== 'object' || signer.key === null) {
    throw new ArgumentError('options need signer: { key, kid }');
  }
  if (!(signer.kid instanceof Uint8Array) || signer.kid.length === 0) throw new ArgumentError('signer.kid must be a non-empty Uint8Array');
  if (!isWellFormedText(options.issuer)) throw new ArgumentError('issuer must be a well-formed text of 1 to 256 characters');
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  if (!isSeconds(issuedAt)) throw new ArgumentError('issuedAt must be a non-negative safe integer');
  const limits = resolveBundleLimits(options.limits);

  /* Only a bundle readPolicyBundle accepts is signed: the same unpacking, layout and interpretation checks. */
  const { layout, manifest } = await failClosed('ERR_POLICY_BUNDLE_INVALID', () => {
    const unpacked = unpack(bundle, limits);
    return { layout: unpacked, manifest: interpret(unpacked, new JsonFiles(unpacked, limits.maxJsonDepth)).manifest };
  });
  const kept = layout.files.filter((f) => f.path !== SIGNATURES_COSE);
  /* Resource limits: the signed bundle must still be one readPolicyBundle reads. */
  if (kept.length + 1 > limits.maxFiles) throw invalid(`the signed bundle would hold more than maxFiles (${limits.maxFiles}) files`);
  const digests = await wardDigests(layout, backend);
  const signature = await signWardSignature(digests, manifest.revision, { backend, signer, issuer: options.issuer, issuedAt });
  const files = [...kept, { path: SIGNATURES_COSE, data: signature }].sort((a, b) => compareCodePoints(a.path, b.path));
  /* Names as `opa build` writes them, with a leading "/": OPA matches a manifest's `module: "/policy.wasm"` literally. */
  const archive = writeTar(files.map((f) => ({ path: `/${f.path}`, data: f.data })));
  if (archive.length > limits.maxUncompressedBytes) throw invalid(`the signed bundle would exceed maxUncompressedBytes (${limits.maxUncompressedBytes})`);
  return gzipDeterministic(archive);
}

/*
 * Policy bundles: OPA's bundle format (a gzipped tar of `.manifest`, `data.json` files, Rego
 * sources and the compiled `policy.wasm`), read safely and with a signature verified in the
 * form the caller names: OPA's `.signatures.json` (a JWS), Ward's `.signatures.cose` (a
 * COSE_Sign1 by a trust-store key), or explicitly none.
 *
 * Reading goes: size-bounded gunzip (gzip.ts) → strict tar (tar.ts) → layout checks → the
 * signature over the raw files (opa-signature.ts, ward-signature.ts) → only then are the
 * manifest and data interpreted (bundle-json.ts) and the wasm picked. Every failure is a
 * PolicyError; nothing of a refused bundle is returned.
 */
import type { CryptoBackend, SigningKey, VerifyingKey } from '../../backend/crypto-backend.js';
import { settle } from '../../backend/crypto-backend.js';
import { ArgumentError, PolicyError } from '../../errors.js';
import { importSpkiPublicKey } from '../../keys/spki.js';
import { isSeconds, isWellFormedText } from '../../text.js';
import { compareCodePoints, jsonValue, opaCanonicalBytes, parseJson } from '../strict-json.js';
import type { JsonNode } from '../strict-json.js';
import { gunzipBounded, gzipDeterministic } from './gzip.js';
import { verifyOpaSignature } from './opa-signature.js';
import type { OpaBundleVerification } from './opa-signature.js';
import { normalizeBundlePath, readTar, writeTar } from './tar.js';
import type { TarFile } from './tar.js';
import { signWardSignature, verifyWardSignature } from './ward-signature.js';
import type { WardBundleVerification } from './ward-signature.js';
import { deepFreeze } from '../../freeze.js';
import { resolveLimits } from '../../limits.js';

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

/** One `wasm` entry of a manifest: which entrypoint the module serves. */
export interface PolicyBundleWasmEntry {
  /** The entrypoint, e.g. `ward/authz/decision`. */
  readonly entrypoint: string;
  /** The module's path as the manifest writes it, e.g. `/policy.wasm`. */
  readonly module: string;
}

/** The bundle's `.manifest` (OPA's manifest), as far as Ward reads it. Frozen. */
export interface PolicyBundleManifest {
  /** The revision; `""` when the bundle has no manifest or the manifest none. */
  readonly revision: string;
  /** The data and policy roots the bundle owns; absent means the whole tree (`[""]`). */
  readonly roots?: readonly string[];
  /** Which wasm module serves which entrypoint. */
  readonly wasm?: readonly PolicyBundleWasmEntry[];
  /** Free-form metadata. */
  readonly metadata?: Readonly<Record<string, unknown>>;
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

const SIGNATURES_JSON = '.signatures.json';
const SIGNATURES_COSE = '.signatures.cose';
const MANIFEST = '.manifest';
const WASM_MAGIC = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
const MANIFEST_KEYS: ReadonlySet<string> = new Set(['revision', 'roots', 'wasm', 'metadata', 'rego_version', 'file_rego_versions']);
const MAX_JSON_DEPTH = 1000;

const invalid = (message: string, cause?: unknown): PolicyError =>
  new PolicyError('ERR_POLICY_BUNDLE_INVALID', `policy bundle: ${message}`, cause === undefined ? undefined : { cause });
const quoted = (text: string): string => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

function resolveBundleLimits(limits: Partial<PolicyBundleLimits> | undefined): PolicyBundleLimits {
  const resolved = resolveLimits(DEFAULT_POLICY_BUNDLE_LIMITS, limits, { what: 'policy bundle limit' });
  /* The JSON parser recurses once per level: the depth stays far from any engine's stack limit. */
  if (resolved.maxJsonDepth > MAX_JSON_DEPTH) throw new ArgumentError(`policy bundle limit maxJsonDepth must be at most ${MAX_JSON_DEPTH}`);
  return resolved;
}

function checkBackend(backend: unknown): void {
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

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The files of a bundle, sorted out by role. */
interface Layout {
  readonly files: readonly TarFile[];
  readonly byPath: ReadonlyMap<string, Uint8Array>;
  readonly signaturesJson: Uint8Array | undefined;
  readonly signaturesCose: Uint8Array | undefined;
}

/** Unpacks a bundle and checks where its special files sit. */
function unpack(bundle: Uint8Array, limits: PolicyBundleLimits): Layout {
  const archive = gunzipBounded(bundle, limits.maxUncompressedBytes);
  const files = readTar(archive, limits);
  const byPath = new Map<string, Uint8Array>();
  for (const file of files) {
    const name = basename(file.path);
    const atRoot = file.path === name;
    /* Ambiguity: OPA treats any file named like these as special, wherever it is; Ward only at the root. */
    if ((name === SIGNATURES_JSON || name === SIGNATURES_COSE || name === MANIFEST) && !atRoot) {
      throw invalid(`${quoted(file.path)}: ${name} belongs in the bundle root`);
    }
    /* Content Ward would have to skip: refused rather than silently dropped from the data or policy. */
    if (name === 'data.yaml' || name === 'data.yml') throw invalid(`${quoted(file.path)}: YAML data files are not supported; use data.json`);
    if (name === 'patch.json') throw invalid(`${quoted(file.path)}: delta bundles (patch.json) are not supported`);
    if (name === '.manifest.pb') throw invalid('protobuf manifests (.manifest.pb) are not supported; use .manifest');
    if (name === 'data.json' && dirname(file.path).startsWith('.')) {
      /* OPA strips leading dots from a data directory (".a/data.json" lands at data.a): refused as ambiguous. */
      throw invalid(`${quoted(file.path)}: a data directory may not begin with "."`);
    }
    byPath.set(file.path, file.data);
  }
  return { files, byPath, signaturesJson: byPath.get(SIGNATURES_JSON), signaturesCose: byPath.get(SIGNATURES_COSE) };
}

/** Parses JSON files once and hashes them as OPA does. */
class JsonFiles {
  readonly #cache = new Map<string, JsonNode>();
  constructor(readonly layout: Layout, readonly maxDepth: number) {}

  get(path: string): JsonNode {
    let node = this.#cache.get(path);
    if (node === undefined) {
      node = parseJson(this.layout.byPath.get(path)!, quoted(path), this.maxDepth);
      this.#cache.set(path, node);
    }
    return node;
  }
}

/** OPA treats these as structured documents and hashes their canonical JSON (bundle.IsStructuredDoc). */
function isStructured(path: string): boolean {
  const name = basename(path);
  return name === 'data.json' || name === MANIFEST;
}

async function sha256(backend: CryptoBackend, data: Uint8Array): Promise<Uint8Array> {
  return settle(backend.sha256(data));
}


function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(node: JsonNode | undefined, what: string): string[] {
  if (node === undefined || node.kind !== 'array') throw invalid(`manifest ${what} must be an array of strings`);
  return node.items.map((item) => {
    if (item.kind !== 'string') throw invalid(`manifest ${what} must be an array of strings`);
    return item.value;
  });
}

function regoVersion(node: JsonNode | undefined, what: string): void {
  if (node === undefined || node.kind !== 'number' || (node.literal !== '0' && node.literal !== '1')) {
    throw invalid(`manifest ${what} must be 0 or 1`);
  }
}

/** Reads the manifest strictly: the fields OPA defines, with their types; anything else is refused. */
function readManifest(node: JsonNode | undefined): PolicyBundleManifest {
  if (node === undefined) return Object.freeze({ revision: '' });
  if (node.kind !== 'object') throw invalid('the manifest is not a JSON object');
  const fields = new Map(node.entries);
  for (const key of fields.keys()) {
    /* Unknown fields could carry meaning Ward does not enforce: refused, never ignored. */
    if (!MANIFEST_KEYS.has(key)) throw invalid(`the manifest holds an unknown field ${quoted(key)}`);
  }
  const manifest: { -readonly [K in keyof PolicyBundleManifest]: PolicyBundleManifest[K] } = { revision: '' };
  const revision = fields.get('revision');
  if (revision !== undefined) {
    if (revision.kind !== 'string') throw invalid('the manifest revision is not a string');
    manifest.revision = revision.value;
  }
  if (fields.has('roots')) manifest.roots = Object.freeze(stringList(fields.get('roots'), 'roots'));
  if (fields.has('wasm')) {
    const list = fields.get('wasm')!;
    if (list.kind !== 'array') throw invalid('the manifest wasm is not an array');
    manifest.wasm = Object.freeze(list.items.map((item) => {
      if (item.kind !== 'object') throw invalid('a manifest wasm entry is not an object');
      const entry = new Map(item.entries);
      for (const key of entry.keys()) {
        if (key !== 'entrypoint' && key !== 'module' && key !== 'annotations') throw invalid(`a manifest wasm entry holds an unknown field ${quoted(key)}`);
      }
      const entrypoint = entry.get('entrypoint');
      const module = entry.get('module');
      if (entrypoint?.kind !== 'string' || entrypoint.value === '' || module?.kind !== 'string' || module.value === '') {
        throw invalid('a manifest wasm entry needs a non-empty entrypoint and module');
      }
      if (entry.has('annotations') && entry.get('annotations')!.kind !== 'array') throw invalid('manifest wasm annotations must be an array');
      return Object.freeze({ entrypoint: entrypoint.value, module: module.value });
    }));
  }
  if (fields.has('metadata')) {
    const metadata = fields.get('metadata')!;
    if (metadata.kind !== 'object') throw invalid('the manifest metadata is not an object');
    manifest.metadata = deepFreeze(jsonValue(metadata) as Record<string, unknown>);
  }
  if (fields.has('rego_version')) regoVersion(fields.get('rego_version'), 'rego_version');
  if (fields.has('file_rego_versions')) {
    const versions = fields.get('file_rego_versions')!;
    if (versions.kind !== 'object') throw invalid('the manifest file_rego_versions is not an object');
    for (const [pattern, version] of versions.entries) regoVersion(version, `file_rego_versions[${quoted(pattern)}]`);
  }
  return Object.freeze(manifest);
}

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Merges `add` into `into` (OPA's merge.InterfaceMaps): objects merge key by key; any other overlap is a conflict. */
function merge(into: Record<string, unknown>, add: Record<string, unknown>, at: string): void {
  for (const key of Object.keys(add)) {
    const value = add[key];
    if (!Object.hasOwn(into, key)) {
      defineOwn(into, key, value);
      continue;
    }
    const existing = into[key];
    /* Two data files claiming one value: which would win depends on the reader, so neither does. */
    if (!isObject(existing) || !isObject(value)) throw invalid(`two data files set data${at}.${key}`);
    merge(existing, value, `${at}.${key}`);
  }
}

/** Every `data.json`, merged at its directory path (OPA's insertValue / mktree). */
function mergeData(layout: Layout, json: JsonFiles): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const paths = layout.files.map((f) => f.path).filter((p) => basename(p) === 'data.json').sort(compareCodePoints);
  for (const path of paths) {
    const value = jsonValue(json.get(path));
    const directory = dirname(path);
    if (directory === '') {
      if (!isObject(value)) throw invalid('the root data.json must hold a JSON object');
      merge(data, value, '');
      continue;
    }
    const segments = directory.split('/');
    let tree: unknown = value;
    for (let i = segments.length - 1; i >= 0; i--) {
      const level = {};
      defineOwn(level, segments[i]!, tree);
      tree = level;
    }
    merge(data, tree as Record<string, unknown>, '');
  }
  return data;
}

/** OPA's rootContains: `root` (segments) contains `path` (segments). The root `""` contains everything. */
function rootContains(root: readonly string[], path: readonly string[]): boolean {
  if (root.length === 1 && root[0] === '') return true;
  if (root.length > path.length) return false;
  return root.every((segment, i) => segment === path[i]);
}

/** OPA's manifest root checks: no overlapping roots; all data and every wasm entrypoint under a root. */
function checkRoots(manifest: PolicyBundleManifest, data: Record<string, unknown>): void {
  const roots = (manifest.roots ?? ['']).map((root) => root.replace(/^\/+|\/+$/gu, '').split('/'));
  for (let i = 0; i < roots.length; i++) {
    for (let j = i + 1; j < roots.length; j++) {
      if (rootContains(roots[i]!, roots[j]!) || rootContains(roots[j]!, roots[i]!)) {
        throw invalid(`the manifest has overlapping roots ${quoted(roots[i]!.join('/'))} and ${quoted(roots[j]!.join('/'))}`);
      }
    }
  }
  const contained = (path: readonly string[]): boolean => roots.some((root) => rootContains(root, path));
  /* Scope: a bundle may only ship data under the roots it declares (another bundle may own the rest). */
  const walk = (node: unknown, path: string[]): void => {
    if (path.length > 0 && contained(path)) return;
    /* Above every root: descend into objects on the way to a root; anything else is outside. */
    const leadsToRoot = path.length === 0 || roots.some((root) => rootContains(path, root));
    if (!isObject(node) || !leadsToRoot) throw invalid(`the manifest roots do not permit data at ${quoted(path.join('/'))}`);
    for (const key of Object.keys(node)) walk(node[key], [...path, key]);
  };
  walk(data, []);
  for (const entry of manifest.wasm ?? []) {
    if (!contained(entry.entrypoint.replace(/^\/+|\/+$/gu, '').split('/'))) {
      throw invalid(`the manifest roots do not permit the wasm entrypoint ${quoted(entry.entrypoint)}`);
    }
  }
}

/** The one wasm module: the file the manifest names, else `/policy.wasm`. */
function selectWasm(layout: Layout, manifest: PolicyBundleManifest): Uint8Array {
  /* OPA loads every file named policy.wasm as a module; Ward's engine runs exactly one. */
  const modules = layout.files.filter((f) => basename(f.path) === 'policy.wasm');
  if (modules.length === 0) throw invalid('the bundle holds no policy.wasm');
  if (modules.length > 1) throw invalid('the bundle holds more than one policy.wasm; Ward loads one module');
  const module = modules[0]!;
  const entries = manifest.wasm ?? [];
  const entrypoints = new Set<string>();
  for (const entry of entries) {
    let path: string;
    try {
      path = normalizeBundlePath(entry.module);
    } catch (error) {
      throw invalid(`the manifest names an unusable wasm module ${quoted(entry.module)}`, error);
    }
    if (path !== module.path) throw invalid(`the manifest names wasm module ${quoted(entry.module)}, which the bundle does not hold`);
    if (entrypoints.has(entry.entrypoint)) throw invalid(`the manifest names entrypoint ${quoted(entry.entrypoint)} twice`);
    entrypoints.add(entry.entrypoint);
  }
  if (entries.length === 0 && module.path !== 'policy.wasm') throw invalid('the bundle holds no /policy.wasm and its manifest names no module');
  const wasm = module.data;
  if (wasm.length < WASM_MAGIC.length || WASM_MAGIC.some((b, i) => wasm[i] !== b)) throw invalid(`${quoted(module.path)} is not a WebAssembly 1.0 module`);
  return wasm.slice();
}

interface Interpreted {
  readonly manifest: PolicyBundleManifest;
  readonly data: Record<string, unknown>;
  readonly wasm: Uint8Array;
}

function interpret(layout: Layout, json: JsonFiles): Interpreted {
  const manifest = readManifest(layout.byPath.has(MANIFEST) ? json.get(MANIFEST) : undefined);
  const data = mergeData(layout, json);
  checkRoots(manifest, data);
  const wasm = selectWasm(layout, manifest);
  return { manifest, data, wasm };
}

/** Fails closed: anything thrown that is not already a PolicyError becomes one with `code`, the original kept as cause. */
function asPolicyError(error: unknown, code: 'ERR_POLICY_BUNDLE_INVALID' | 'ERR_POLICY_BUNDLE_SIGNATURE'): PolicyError {
  if (PolicyError.isInstance(error)) return error;
  return new PolicyError(code, code === 'ERR_POLICY_BUNDLE_SIGNATURE' ? 'policy bundle: signature refused' : 'policy bundle: refused', { cause: error });
}

/** SHA-256 of every file except the signature files: what `.signatures.cose` signs. */
async function wardDigests(layout: Layout, backend: CryptoBackend): Promise<Map<string, Uint8Array>> {
  const digests = new Map<string, Uint8Array>();
  for (const file of layout.files) {
    if (file.path === SIGNATURES_JSON || file.path === SIGNATURES_COSE) continue;
    digests.set(file.path, await sha256(backend, file.data));
  }
  return digests;
}

async function verifySignature(
  layout: Layout,
  json: JsonFiles,
  verification: ResolvedVerification,
  backend: CryptoBackend,
  limits: PolicyBundleLimits,
): Promise<{ signature: PolicyBundleSignature; signedRevision?: string }> {
  if (verification.form === 'none') return { signature: Object.freeze({ form: 'none' }) };
  try {
    if (verification.form === 'opa') {
      /* Stripped signatures: a bundle without the requested signature is refused, never read as unsigned. */
      if (layout.signaturesJson === undefined) throw new PolicyError('ERR_POLICY_BUNDLE_SIGNATURE', 'policy bundle: no .signatures.json (the bundle is not OPA-signed)');
      const paths = layout.files.map((f) => f.path).filter((p) => p !== SIGNATURES_JSON);
      const opaHash = async (path: string): Promise<Uint8Array> => {
        const bytes = layout.byPath.get(path)!;
        return sha256(backend, isStructured(path) ? opaCanonicalBytes(json.get(path)) : bytes);
      };
      const facts = await verifyOpaSignature(layout.signaturesJson, paths, opaHash, verification, backend);
      return { signature: Object.freeze({ form: 'opa', keyId: facts.keyId }) };
    }
    if (layout.signaturesCose === undefined) throw new PolicyError('ERR_POLICY_BUNDLE_SIGNATURE', 'policy bundle: no .signatures.cose (the bundle is not Ward-signed)');
    const digests = await wardDigests(layout, backend);
    const facts = await verifyWardSignature(layout.signaturesCose, digests, verification, backend, limits.maxFiles);
    return {
      signature: Object.freeze({ form: 'ward', keyId: facts.keyId, issuer: facts.issuer, issuedAt: facts.issuedAt }),
      signedRevision: facts.revision,
    };
  } catch (error) {
    throw asPolicyError(error, 'ERR_POLICY_BUNDLE_SIGNATURE');
  }
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
 *      `data.json` and `.manifest` the canonical JSON of bundle-json.ts);
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
  if (!(bundle instanceof Uint8Array)) throw new ArgumentError('bundle must be a Uint8Array');
  if (typeof options !== 'object' || options === null) throw new ArgumentError('readPolicyBundle() needs options');
  checkBackend(options.backend);
  const limits = resolveBundleLimits(options.limits);
  const { backend } = options;
  const verification = await resolveKeys(checkVerification(options.verification), backend);
  try {
    const digest = await sha256(backend, bundle);
    const layout = unpack(bundle, limits);
    const json = new JsonFiles(layout, limits.maxJsonDepth);
    const { signature, signedRevision } = await verifySignature(layout, json, verification, backend, limits);
    const { manifest, data, wasm } = interpret(layout, json);
    /* Revision substitution: the Ward signature binds the revision the engine's rollback check sees. */
    if (signedRevision !== undefined && signedRevision !== manifest.revision) {
      throw new PolicyError('ERR_POLICY_BUNDLE_SIGNATURE', `policy bundle: signed revision ${quoted(signedRevision)} is not the manifest's ${quoted(manifest.revision)}`);
    }
    return Object.freeze({ wasm, data: deepFreeze(data), manifest, revision: manifest.revision, digest: digest.slice(), signature });
  } catch (error) {
    throw asPolicyError(error, 'ERR_POLICY_BUNDLE_INVALID');
  }
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
  if (!(bundle instanceof Uint8Array)) throw new ArgumentError('bundle must be a Uint8Array');
  if (typeof options !== 'object' || options === null) throw new ArgumentError('signPolicyBundle() needs options');
  checkBackend(options.backend);
  const { backend, signer } = options;
  if (typeof signer !== 'object' || signer === null || typeof signer.key !== 'object' || signer.key === null) {
    throw new ArgumentError('options need signer: { key, kid }');
  }
  if (!(signer.kid instanceof Uint8Array) || signer.kid.length === 0) throw new ArgumentError('signer.kid must be a non-empty Uint8Array');
  if (!isWellFormedText(options.issuer)) throw new ArgumentError('issuer must be a well-formed text of 1 to 256 characters');
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  if (!isSeconds(issuedAt)) throw new ArgumentError('issuedAt must be a non-negative safe integer');
  const limits = resolveBundleLimits(options.limits);

  let layout: Layout;
  let manifest: PolicyBundleManifest;
  try {
    layout = unpack(bundle, limits);
    ({ manifest } = interpret(layout, new JsonFiles(layout, limits.maxJsonDepth)));
  } catch (error) {
    throw asPolicyError(error, 'ERR_POLICY_BUNDLE_INVALID');
  }
  const kept = layout.files.filter((f) => f.path !== SIGNATURES_COSE);
  if (kept.length + 1 > limits.maxFiles) throw invalid(`the signed bundle would hold more than maxFiles (${limits.maxFiles}) files`);
  const digests = await wardDigests(layout, backend);
  const signature = await signWardSignature(digests, manifest.revision, { backend, signer, issuer: options.issuer, issuedAt });
  const files = [...kept, { path: SIGNATURES_COSE, data: signature }].sort((a, b) => compareCodePoints(a.path, b.path));
  /* Names as `opa build` writes them, with a leading "/": OPA matches a manifest's `module: "/policy.wasm"` literally. */
  const archive = writeTar(files.map((f) => ({ path: `/${f.path}`, data: f.data })));
  if (archive.length > limits.maxUncompressedBytes) throw invalid(`the signed bundle would exceed maxUncompressedBytes (${limits.maxUncompressedBytes})`);
  return gzipDeterministic(archive);
}

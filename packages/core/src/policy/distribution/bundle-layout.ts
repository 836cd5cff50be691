/*
 * The layout of an OPA bundle (OPA docs, "Bundle File Format"; open-policy-agent/opa
 * v1/bundle/bundle.go): which files a bundle may hold and where, which of them each signature
 * covers, how `.manifest` is read, how every `data.json` is merged at its directory, the
 * manifest roots that scope data and entrypoints, and which file is the one wasm module.
 * Pure rules over the unpacked files; reading, hashing and signing are bundle.ts's.
 */
import { deepFreeze } from '../../freeze.js';
import { compareCodePoints, defineOwn, jsonValue, parseJson } from '../strict-json.js';
import type { JsonNode } from '../strict-json.js';
import { bundleInvalid as invalid, quoted } from './refusal.js';
import { normalizeBundlePath } from './tar.js';
import type { TarFile } from './tar.js';

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

/** OPA's signature file (a JWS), in the bundle root. */
export const SIGNATURES_JSON = '.signatures.json';
/** Ward's signature file (a COSE_Sign1), in the bundle root. */
export const SIGNATURES_COSE = '.signatures.cose';
const MANIFEST = '.manifest';
/** The WebAssembly 1.0 preamble: magic `\0asm`, then version 1 (WebAssembly Core Specification, binary format, "Modules"). */
const WASM_MAGIC = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
const MANIFEST_KEYS: ReadonlySet<string> = new Set(['revision', 'roots', 'wasm', 'metadata', 'rego_version', 'file_rego_versions']);

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The files of a bundle, sorted out by role. */
export interface BundleLayout {
  readonly files: readonly TarFile[];
  readonly byPath: ReadonlyMap<string, Uint8Array>;
  readonly signaturesJson: Uint8Array | undefined;
  readonly signaturesCose: Uint8Array | undefined;
}

/** Sorts the files of a bundle (as readTar returns them) by role and checks where its special files sit. */
export function layoutOf(files: readonly TarFile[]): BundleLayout {
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

/** The paths `.signatures.json` must list: every file but itself (OPA's rule, v1/bundle/verify.go). */
export function opaSignedPaths(layout: BundleLayout): string[] {
  return layout.files.map((f) => f.path).filter((p) => p !== SIGNATURES_JSON);
}

/** The files `.signatures.cose` must cover: every file but the two signature files. */
export function wardSignedFiles(layout: BundleLayout): TarFile[] {
  return layout.files.filter((f) => f.path !== SIGNATURES_JSON && f.path !== SIGNATURES_COSE);
}

/** Parses JSON files once, for the signature check and for interpretation alike. */
export class JsonFiles {
  readonly #cache = new Map<string, JsonNode>();
  constructor(readonly layout: BundleLayout, readonly maxDepth: number) {}

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
export function isStructured(path: string): boolean {
  const name = basename(path);
  return name === 'data.json' || name === MANIFEST;
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
function mergeData(layout: BundleLayout, json: JsonFiles): Record<string, unknown> {
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
      /* Overlapping roots: two bundles could each claim the same subtree, and activation order would decide. */
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
    /* Scope: an entrypoint outside the roots would answer for policy another bundle owns. */
    if (!contained(entry.entrypoint.replace(/^\/+|\/+$/gu, '').split('/'))) {
      throw invalid(`the manifest roots do not permit the wasm entrypoint ${quoted(entry.entrypoint)}`);
    }
  }
}

/** The one wasm module: the file the manifest names, else `/policy.wasm`. */
function selectWasm(layout: BundleLayout, manifest: PolicyBundleManifest): Uint8Array {
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
      /* Path traversal: a manifest module path obeys the same rules as a tar entry name. */
      path = normalizeBundlePath(entry.module);
    } catch (error) {
      throw invalid(`the manifest names an unusable wasm module ${quoted(entry.module)}`, error);
    }
    /* A manifest naming a module the bundle lacks would leave the entrypoint to whatever else loads. */
    if (path !== module.path) throw invalid(`the manifest names wasm module ${quoted(entry.module)}, which the bundle does not hold`);
    /* One entrypoint, two answers: which module serves it would be reader-dependent. */
    if (entrypoints.has(entry.entrypoint)) throw invalid(`the manifest names entrypoint ${quoted(entry.entrypoint)} twice`);
    entrypoints.add(entry.entrypoint);
  }
  if (entries.length === 0 && module.path !== 'policy.wasm') throw invalid('the bundle holds no /policy.wasm and its manifest names no module');
  const wasm = module.data;
  /* Type confusion: only a WebAssembly 1.0 binary is handed to the engine. */
  if (wasm.length < WASM_MAGIC.length || WASM_MAGIC.some((b, i) => wasm[i] !== b)) throw invalid(`${quoted(module.path)} is not a WebAssembly 1.0 module`);
  return wasm.slice();
}

/** What a bundle says, once its signature holds: the manifest, the merged data, the wasm module. */
export interface InterpretedBundle {
  readonly manifest: PolicyBundleManifest;
  readonly data: Record<string, unknown>;
  readonly wasm: Uint8Array;
}

/**
 * Interprets the files of a bundle: the manifest (strict JSON, OPA's fields only), every
 * `data.json` merged at its directory (conflicts refused), the manifest roots (no overlaps;
 * data and entrypoints inside them), and exactly one `policy.wasm`. Throws
 * `ERR_POLICY_BUNDLE_INVALID`.
 */
export function interpret(layout: BundleLayout, json: JsonFiles): InterpretedBundle {
  const manifest = readManifest(layout.byPath.has(MANIFEST) ? json.get(MANIFEST) : undefined);
  const data = mergeData(layout, json);
  checkRoots(manifest, data);
  const wasm = selectWasm(layout, manifest);
  return { manifest, data, wasm };
}

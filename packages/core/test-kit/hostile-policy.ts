/*
 * The hostile-module suite's harness: compiles the WAT modules of src/policy/evaluation/hostile/ with wabt
 * (nothing binary is committed), and runs a scenario in a child process with a hard timeout for
 * any module that could hang the thread that runs it (an unbounded read, a loop): a regression
 * then fails the test instead of hanging CI.
 *
 * As a script: `node --import tsx --conditions=@ward/source hostile-policy.ts <module> <step>...`
 * loads the module in a PolicyEngine and prints one JSON outcome per step (`load`, or an action
 * to decide), then exits. With `--bundle=ward` or `--bundle=opa` before the module, the module
 * travels in a correctly signed bundle of that form instead: `read` verifies it with
 * readPolicyBundle, `load` loads it (entrypoint from its manifest), `activate` loads a signed
 * bundle of the good module (revision 1) and activates the hostile one (revision 2) over it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import type { CryptoBackend } from '../src/backend/crypto-backend.js';
import { createNobleBackend } from '../src/backend/noble-backend.js';
import { WardError } from '../src/errors.js';
import { TrustStore } from '../src/keys/trust-store.js';
import { opaCanonicalBytes, parseJson } from '../src/policy/strict-json.js';
import { readPolicyBundle, signPolicyBundle } from '../src/policy/distribution/bundle.js';
import type { PolicyBundle, PolicyBundleVerification } from '../src/policy/distribution/bundle.js';
import type { PolicyAction, PolicyInput } from '../src/policy/decision.js';
import { PolicyEngine } from '../src/policy/evaluation/policy-engine.js';
import { packBundle, toHex, utf8 } from './policy-bundle.js';

let wabt: ReturnType<typeof wabtInit> | undefined;

/** Compiles `src/policy/evaluation/hostile/<name>.wat` to wasm bytes. */
export async function hostileWasm(name: string): Promise<Uint8Array> {
  const tools = await (wabt ??= wabtInit());
  const text = readFileSync(new URL(`../src/policy/evaluation/hostile/${name}.wat`, import.meta.url), 'utf8');
  /* multi_memory is a wabt feature its type declarations do not list yet (defined-memory.wat needs it). */
  const features = { multi_memory: true, bulk_memory: true };
  const module = tools.parseWat(`${name}.wat`, text, features);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The entrypoint the hostile modules export. */
export const HOSTILE_ENTRYPOINT = 'hostile/decision';

/** A valid policy input for `action` (byte 11 of its canonical JSON is the action's first letter). */
export function hostileInput(action: PolicyAction, time = 1_900_000_100): PolicyInput {
  return {
    action,
    subject: { id: 'ana', roles: ['analyst'], purpose: 'planning' },
    resource: {
      issuer: 'counter-17', stream: 'footfall/market', issuedAt: 1_900_000_000, sequence: '41', id: '00ff',
      attributes: { classification: 'internal' }, signer: { kid: 'aa', alg: -8 }, encryption: 'encrypt',
    },
    environment: { time },
  };
}

/** What one step did. */
export type Outcome = {
  readonly step: string;
  readonly allow?: boolean;
  readonly reasons?: readonly string[];
  readonly code?: string;
  /** `read`: the signature form that verified; `activate`: the engine's revision afterwards. */
  readonly form?: string;
  readonly revision?: string;
  /** The error's message and its causes' messages, joined by ' <- '. */
  readonly message?: string;
};

/** An error's message and its causes' messages, joined by ' <- '. */
export function messages(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(' <- ');
}

function outcomeOf(step: string, error: unknown): Outcome {
  return { step, code: WardError.isInstance(error) ? error.code : 'RAW', message: messages(error) };
}

/**
 * Runs `steps` on module `name` in a child process killed after `timeoutMs`.
 *
 * @returns the outcomes, or `'hung'` when the child had to be killed
 */
export function runHostileInChild(name: string, steps: readonly string[], timeoutMs = 30_000, bundle?: SignedForm): readonly Outcome[] | 'hung' {
  const args = [...(bundle === undefined ? [] : [`--bundle=${bundle}`]), name, ...steps];
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@ward/source', fileURLToPath(import.meta.url), ...args], {
    timeout: timeoutMs, encoding: 'utf8', killSignal: 'SIGKILL',
  });
  if (result.signal !== null || result.error !== undefined) return 'hung';
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Outcome);
}

/** The two signature forms a policy bundle can carry. */
export type SignedForm = 'ward' | 'opa';

/** A signer for policy bundles of `form`, and the verification that accepts its signatures. */
export interface BundleSigner {
  readonly verification: PolicyBundleVerification;
  /** A bundle of module `name` (entrypoint HOSTILE_ENTRYPOINT in its manifest) at `revision`, signed. */
  sign(name: string, revision: string): Promise<Uint8Array>;
}

/**
 * A fresh signing key for `form` and the verification trusting it: Ward's `.signatures.cose`
 * (signPolicyBundle, key in a trust store with role policy-bundle) or OPA's `.signatures.json`
 * (an ES256 JWS over every file's OPA hash, as `opa sign` writes it).
 */
export async function bundleSigner(backend: CryptoBackend, form: SignedForm): Promise<BundleSigner> {
  const files = async (name: string, revision: string): Promise<Map<string, Uint8Array>> => new Map([
    ['.manifest', utf8(JSON.stringify({ revision, roots: [''], wasm: [{ entrypoint: HOSTILE_ENTRYPOINT, module: '/policy.wasm' }] }))],
    ['data.json', utf8('{}')],
    ['policy.wasm', await hostileWasm(name)],
  ]);
  if (form === 'ward') {
    const issuer = 'hostile-test-admin';
    const key = await backend.generateKey('Ed25519');
    const trust = new TrustStore({ backend });
    const { kid } = await trust.add({ key: await backend.publicKey(key), issuer, roles: ['policy-bundle'] });
    return {
      verification: { form: 'ward', trust: trust.keySource('policy-bundle') },
      sign: async (name, revision) => signPolicyBundle(packBundle(await files(name, revision)), { backend, signer: { key, kid }, issuer }),
    };
  }
  const key = await backend.generateKey('ECDSA-P256');
  const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
  return {
    verification: { form: 'opa', keys: { 'hostile-es256': await backend.publicKey(key) } },
    sign: async (name, revision) => {
      const bundle = await files(name, revision);
      const list = [];
      for (const [file, data] of bundle) {
        const hashed = file === 'policy.wasm' ? data : opaCanonicalBytes(parseJson(data, file, 64));
        list.push({ name: file, hash: toHex(await backend.sha256(hashed)), algorithm: 'SHA-256' });
      }
      const signingInput = `${b64url(utf8(JSON.stringify({ alg: 'ES256', kid: 'hostile-es256', typ: 'JWT' })))}.${b64url(utf8(JSON.stringify({ files: list })))}`;
      const token = `${signingInput}.${b64url(await backend.sign(key, utf8(signingInput)))}`;
      bundle.set('.signatures.json', utf8(JSON.stringify({ signatures: [token] })));
      return packBundle(bundle);
    },
  };
}

async function mainSigned(form: SignedForm, name: string, steps: readonly string[]): Promise<void> {
  const backend = createNobleBackend();
  const signer = await bundleSigner(backend, form);
  const read = async (module: string, revision: string): Promise<PolicyBundle> =>
    readPolicyBundle(await signer.sign(module, revision), { backend, verification: signer.verification });
  let engine: PolicyEngine | undefined;
  for (const step of steps) {
    let outcome: Outcome;
    try {
      if (step === 'read') {
        const bundle = await read(name, '2');
        outcome = { step, form: bundle.signature.form, revision: bundle.revision };
      } else if (step === 'load') {
        engine = await PolicyEngine.load(await read(name, '2'), { backend, cacheSize: 0 });
        outcome = { step };
      } else if (step === 'activate') {
        engine = await PolicyEngine.load(await read('good', '1'), { backend, cacheSize: 0 });
        try {
          await engine.activate(await read(name, '2'));
          outcome = { step, revision: engine.revision };
        } catch (error) {
          outcome = { ...outcomeOf(step, error), revision: engine.revision };
        }
      } else {
        outcome = decideStep(engine!, step);
      }
    } catch (error) {
      outcome = outcomeOf(step, error);
    }
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
  }
}

/** One decision step of a child run: the hostile input for the step's action, and what came back. */
function decideStep(engine: PolicyEngine, step: string): Outcome {
  const { decision } = engine.decide(hostileInput(step as PolicyAction));
  return { step, allow: decision.allow, reasons: decision.reasons };
}

async function main(name: string, steps: readonly string[]): Promise<void> {
  const wasm = await hostileWasm(name);
  let engine: PolicyEngine | undefined;
  for (const step of steps) {
    let outcome: Outcome;
    try {
      if (step === 'load') {
        engine = await PolicyEngine.load({ wasm, revision: '1' }, { backend: createNobleBackend(), entrypoint: HOSTILE_ENTRYPOINT, cacheSize: 0 });
        outcome = { step };
      } else {
        outcome = decideStep(engine!, step);
      }
    } catch (error) {
      outcome = outcomeOf(step, error);
    }
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const form = /^--bundle=(ward|opa)$/.exec(process.argv[2] ?? '')?.[1] as SignedForm | undefined;
  if (form === undefined) await main(process.argv[2]!, process.argv.slice(3));
  else await mainSigned(form, process.argv[3]!, process.argv.slice(4));
}

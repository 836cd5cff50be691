/*
 * The hostile-module suite's harness: compiles the WAT modules of src/policy/hostile/ with wabt
 * (nothing binary is committed), and runs a scenario in a child process with a hard timeout for
 * any module that could hang the thread that runs it (an unbounded read, a loop): a regression
 * then fails the test instead of hanging CI.
 *
 * As a script: `node --import tsx --conditions=@ward/source hostile-policy.ts <module> <step>...`
 * loads the module in a PolicyEngine and prints one JSON outcome per step (`load`, or an action
 * to decide), then exits.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { createNobleBackend } from '../src/backend/noble-backend.js';
import { WardError } from '../src/errors.js';
import type { PolicyAction, PolicyInput } from '../src/policy/decision.js';
import { PolicyEngine } from '../src/policy/policy-engine.js';

let wabt: ReturnType<typeof wabtInit> | undefined;

/** Compiles `src/policy/hostile/<name>.wat` to wasm bytes. */
export async function hostileWasm(name: string): Promise<Uint8Array> {
  const tools = await (wabt ??= wabtInit());
  const text = readFileSync(new URL(`../src/policy/hostile/${name}.wat`, import.meta.url), 'utf8');
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
export function runHostileInChild(name: string, steps: readonly string[], timeoutMs = 30_000): readonly Outcome[] | 'hung' {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@ward/source', fileURLToPath(import.meta.url), name, ...steps], {
    timeout: timeoutMs, encoding: 'utf8', killSignal: 'SIGKILL',
  });
  if (result.signal !== null || result.error !== undefined) return 'hung';
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Outcome);
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
        const { decision } = engine!.decide(hostileInput(step as PolicyAction));
        outcome = { step, allow: decision.allow, reasons: decision.reasons };
      }
    } catch (error) {
      outcome = outcomeOf(step, error);
    }
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(process.argv[2]!, process.argv.slice(3));
}

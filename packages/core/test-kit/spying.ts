/*
 * Test-only helpers shared by the envelope tests: a backend that records which methods ran,
 * a rejection catcher, and an error's cause chain.
 */
import { expect } from 'vitest';
import type { CryptoBackend } from '../src/index.js';

/** A backend that records which of its methods ran (delegating to the real one, so handles stay valid). */
export function spying(inner: CryptoBackend): { backend: CryptoBackend; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend: proxy, calls };
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a rejection'), (error: unknown) => error);
}

/** `error` followed by its causes, outermost first (at most 10). */
export function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

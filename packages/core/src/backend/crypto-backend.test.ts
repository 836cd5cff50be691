/*
 * settle(): what awaiting a MaybePromise through it costs, counted in microtasks, not timed.
 * Each test starts the awaits to compare in a known order and records the order in which they
 * resume: awaits that cost the same number of microtasks resume in the order they started
 * (the microtask queue is FIFO), so one that resumes later costs more.
 */
import { describe, expect, test } from 'vitest';
import { isPromise, settle } from './crypto-backend.js';

/** Counts the microtasks before `run` resumes, by running a chain of queued microtasks beside it. */
async function microtasksUntil(run: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  let done = false;
  const chain = (): void => {
    if (done || ticks > 100) return;
    ticks++;
    queueMicrotask(chain);
  };
  const finished = run().then(() => {
    done = true;
  });
  queueMicrotask(chain);
  await finished;
  return ticks;
}

describe('settle', () => {
  test('settle adds no microtask to awaiting a synchronous value (it costs what `await value` costs)', async () => {
    const direct = await microtasksUntil(async () => {
      await (1 as number | Promise<number>);
    });
    const settled = await microtasksUntil(async () => {
      await settle(1);
    });
    expect(settled).toBe(direct);
  });

  test('settle adds no microtask to awaiting a promise (it costs what `await promise` costs)', async () => {
    const value = Promise.resolve(1);
    const direct = await microtasksUntil(async () => {
      await value;
    });
    const settled = await microtasksUntil(async () => {
      await settle(value);
    });
    expect(settled).toBe(direct);
    /* The same, as an order: started first, an await through settle still resumes first. */
    const order: string[] = [];
    await Promise.all([
      (async () => {
        await settle(value);
        order.push('settle');
      })(),
      (async () => {
        await value;
        order.push('direct');
      })(),
    ]);
    expect(order).toEqual(['settle', 'direct']);
  });

  test('settle passes values and rejections through, and never throws synchronously', async () => {
    await expect(settle(7)).resolves.toBe(7);
    await expect(settle(Promise.resolve(8))).resolves.toBe(8);
    await expect(settle(Promise.reject(new Error('no')))).rejects.toThrow('no');
    const hostile = {
      get then(): never {
        throw new Error('then getter');
      },
    };
    let settled: Promise<unknown> | undefined;
    expect(() => {
      settled = settle(hostile);
    }).not.toThrow();
    await expect(settled).rejects.toThrow('then getter');
  });

  test('skipping the await when isPromise is false costs no microtask at all', async () => {
    const ticks = await microtasksUntil(async () => {
      const result = 1 as number | Promise<number>;
      return isPromise(result) ? await result : result;
    });
    const awaited = await microtasksUntil(async () => {
      await settle(1);
    });
    expect(ticks).toBe(awaited - 1);
  });
});

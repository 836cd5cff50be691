/*
 * The ReplayStore seam: stream keys are unambiguous (length-prefixed issuer and subject), and
 * resolveReplayWindow() fills in defaults and refuses windows outside their ranges.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../errors.js';
import { DEFAULT_REPLAY_WINDOW, replayStreamKey, resolveReplayWindow } from './replay-store.js';

describe('replayStreamKey', () => {
  it('length-prefixes issuer and subject', () => {
    expect(replayStreamKey('sensor-7', 'footfall/market-square')).toBe('8:sensor-722:footfall/market-square');
  });

  it('is injective over (issuer, subject) pairs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a, b, c, d) => {
        fc.pre(a !== c || b !== d);
        expect(replayStreamKey(a, b)).not.toBe(replayStreamKey(c, d));
      }),
    );
    expect(replayStreamKey('a:b', 'c')).not.toBe(replayStreamKey('a', 'b:c'));
  });

  it('rejects non-strings', () => {
    expect(() => replayStreamKey(1 as never, 'x')).toThrow(ArgumentError);
  });
});

describe('resolveReplayWindow', () => {
  it('defaults to 1024 and 86400', () => {
    expect(DEFAULT_REPLAY_WINDOW).toEqual({ windowSize: 1024, idTtlSeconds: 86_400 });
    expect(resolveReplayWindow()).toEqual(DEFAULT_REPLAY_WINDOW);
    expect(resolveReplayWindow({ windowSize: 64 })).toEqual({ windowSize: 64, idTtlSeconds: 86_400 });
  });

  it.each([{ windowSize: 0 }, { windowSize: 65_537 }, { windowSize: 2.5 }, { idTtlSeconds: 0 }, { idTtlSeconds: 2 ** 31 + 1 }])(
    'rejects %o',
    (window) => {
      expect(() => resolveReplayWindow(window)).toThrow(ArgumentError);
    },
  );
});

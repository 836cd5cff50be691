import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../errors.js';
import { CborSimple, CborTag } from './data-model.js';

describe('CborTag', () => {
  it('keeps safe tag numbers as numbers and normalizes small bigints to numbers', () => {
    expect(new CborTag(18, null).tag).toBe(18);
    expect(new CborTag(18n, null).tag).toBe(18);
    expect(new CborTag(BigInt(Number.MAX_SAFE_INTEGER), null).tag).toBe(Number.MAX_SAFE_INTEGER);
    expect(new CborTag(2n ** 53n, null).tag).toBe(2n ** 53n);
    expect(new CborTag(2n ** 64n - 1n, 'x').tag).toBe(2n ** 64n - 1n);
    expect(new CborTag(0, 'x').value).toBe('x');
  });

  it.each([-1, 1.5, NaN, Infinity, 2 ** 53, -1n, 2n ** 64n, '1', null])('rejects tag number %s', (tag) => {
    expect(() => new CborTag(tag as number, null)).toThrow(ArgumentError);
  });
});

describe('CborSimple', () => {
  it('accepts 0-19 and 32-255', () => {
    for (const n of [0, 19, 32, 255]) expect(new CborSimple(n).value).toBe(n);
  });

  it.each([20, 21, 22, 23, 24, 31, -1, 256, 1.5, NaN])('rejects %s (false/true/null/undefined, reserved or out of range)', (n) => {
    expect(() => new CborSimple(n)).toThrow(ArgumentError);
  });
});

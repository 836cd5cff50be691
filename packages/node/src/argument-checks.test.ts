/*
 * Issue 10 item 7c for @ward/node: public functions check their options and throw an
 * ArgumentError (ERR_INVALID_ARGUMENT) naming what is missing, never a raw TypeError.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError } from '@ward/core';
import { RedisReplayStore } from './index.js';

const client = { sendCommand: async (): Promise<unknown> => null };

describe('@ward/node argument checks', () => {
  test('new RedisReplayStore() with null or a non-object as options is an ArgumentError naming the options', () => {
    for (const value of [null, 'ward:', 42]) {
      let error: unknown;
      try {
        new RedisReplayStore(client, value as never);
      } catch (caught) {
        error = caught;
      }
      expect(error).not.toBeInstanceOf(TypeError);
      expect(ArgumentError.isInstance(error) && error.message).toMatch(/new RedisReplayStore\(\) options must be an object/);
    }
    expect(new RedisReplayStore(client)).toBeInstanceOf(RedisReplayStore);
  });
});

/*
 * gunzipBounded and gzipDeterministic: RFC 1952 framing refusals (magic, flags, header CRC,
 * trailer, concatenated members, trailing bytes), the decompression-bomb ceiling, and agreement
 * with zlib.
 */
import * as fc from 'fast-check';
import { createGzip, gzipSync as zlibGzip } from 'node:zlib';
import { Gunzip } from 'fflate';
import { describe, expect, test, vi } from 'vitest';
import { WardError } from '../../errors.js';
import { gzip, refused, utf8 } from '../../../test-kit/policy-bundle.js';
import { crc32, gunzipBounded, gzipDeterministic } from './gzip.js';

const DATA = utf8('footfall sensor reading '.repeat(400));
const MiB = 1024 * 1024;

/** A gzip member with the given header flags and fields (RFC 1952 §2.3) around a DEFLATE body of DATA. */
function member(flags: number, fields: Uint8Array, options: { headerCrc?: number } = {}): Uint8Array {
  const plain = gzip(DATA);
  const body = plain.subarray(10);
  const head = new Uint8Array([...plain.subarray(0, 10), ...fields]);
  head[3] = flags;
  const out = [...head];
  if (flags & 2) {
    const crc = options.headerCrc ?? crc32(head) & 0xffff;
    out.push(crc & 0xff, crc >> 8);
  }
  return new Uint8Array([...out, ...body]);
}

describe('gunzipBounded', () => {
  test('inflates fflate and zlib output, and what gzipDeterministic writes', () => {
    expect(gunzipBounded(gzip(DATA), MiB)).toEqual(DATA);
    expect(gunzipBounded(new Uint8Array(zlibGzip(DATA, { level: 1 })), MiB)).toEqual(DATA);
    expect(gunzipBounded(gzipDeterministic(DATA), MiB)).toEqual(DATA);
    expect(gunzipBounded(gzip(new Uint8Array(0)), MiB)).toEqual(new Uint8Array(0));
  });

  test('gzipDeterministic: same input, same bytes; mtime 0', () => {
    const a = gzipDeterministic(DATA);
    expect(a).toEqual(gzipDeterministic(DATA));
    expect([...a.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
  });

  test('optional header fields: FEXTRA, FNAME, FCOMMENT and a correct FHCRC are read', () => {
    const fields = new Uint8Array([4, 0, 1, 2, 3, 4, ...utf8('bundle.tar'), 0, ...utf8('comment'), 0]);
    expect(gunzipBounded(member(4 | 8 | 16 | 2, fields), MiB)).toEqual(DATA);
  });

  test('header CRC (FHCRC) that does not match is refused', () => {
    refused(() => gunzipBounded(member(2, new Uint8Array(0), { headerCrc: 0x1234 }), MiB), /header CRC/);
  });

  test('reserved header flags are refused (RFC 1952 §2.3.1.2)', () => {
    for (const bit of [0x20, 0x40, 0x80]) refused(() => gunzipBounded(member(bit, new Uint8Array(0)), MiB), /reserved flags/);
  });

  test('bad magic, method, and inputs too short are refused', () => {
    const good = gzip(DATA);
    const magic = good.slice();
    magic[1] = 0x8c;
    refused(() => gunzipBounded(magic, MiB), /magic/);
    const method = good.slice();
    method[2] = 7;
    refused(() => gunzipBounded(method, MiB), /DEFLATE/);
    refused(() => gunzipBounded(new Uint8Array(0), MiB), /too short/);
    refused(() => gunzipBounded(good.subarray(0, 19), MiB));
  });

  test('an unterminated FNAME is refused', () => {
    refused(() => gunzipBounded(member(8, utf8('x'.repeat(40))).subarray(0, 60), MiB));
  });

  test('truncation anywhere is refused (including inside the 8-byte trailer)', () => {
    const good = gzip(DATA);
    for (let cut = 1; cut <= good.length; cut++) refused(() => gunzipBounded(good.subarray(0, good.length - cut), MiB));
  });

  test('trailing bytes of any length and value are refused (fflate alone accepts up to 3)', () => {
    const good = gzip(DATA);
    for (const tail of [[0], [0, 0], [1, 2, 3], [0, 0, 0, 0], [0x1f, 0x8b, 8], new Array(9).fill(0)]) {
      refused(() => gunzipBounded(new Uint8Array([...good, ...tail]), MiB));
    }
  });

  test('a second gzip member is refused', () => {
    const good = gzip(DATA);
    refused(() => gunzipBounded(new Uint8Array([...good, ...gzip(utf8('more'))]), MiB), /more than one member/);
  });

  test('a CRC-32 or ISIZE that does not match the data is refused', () => {
    const good = gzip(DATA);
    const crc = good.slice();
    crc[crc.length - 8]! ^= 1;
    refused(() => gunzipBounded(crc, MiB), /CRC-32/);
    const size = good.slice();
    size[size.length - 4]! ^= 1;
    refused(() => gunzipBounded(size, MiB), /ISIZE/);
  });

  test('corrupt DEFLATE data is refused', () => {
    const good = gzip(DATA);
    const bad = good.slice();
    bad[12] = 0xff;
    bad[13] = 0xff;
    refused(() => gunzipBounded(bad, MiB));
  });

  test('maxOutputBytes: output of exactly the limit is read; one byte more is refused', () => {
    expect(gunzipBounded(gzip(DATA), DATA.length)).toEqual(DATA);
    refused(() => gunzipBounded(gzip(DATA), DATA.length - 1), /maxUncompressedBytes/);
  });

  test('gzip bomb: 1 GiB of zeros in ~1 MiB is refused as soon as the output passes the limit, without allocating it', async () => {
    const gzipper = createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gzipper.on('data', (part: Buffer) => parts.push(part));
    const done = new Promise((resolve) => gzipper.on('end', resolve));
    const zeros = Buffer.alloc(MiB);
    for (let i = 0; i < 1024; i++) gzipper.write(zeros);
    gzipper.end();
    await done;
    const bomb = new Uint8Array(Buffer.concat(parts));
    expect(bomb.length).toBeLessThan(2 * MiB);
    /* Its ISIZE says 2^30; the reader never sizes anything from it. */
    expect([...bomb.subarray(bomb.length - 4)]).toEqual([0, 0, 0, 0x40]);

    /* Stopped early, counted without a clock: the input handed to the inflater. 32 MiB of output
     * take ~32 KiB of this bomb; a reader that went on to the end would push all of its ~1 MiB. */
    let pushed = 0;
    const inflate = Gunzip.prototype.push;
    const push = vi.spyOn(Gunzip.prototype, 'push').mockImplementation(function (this: Gunzip, chunk: Uint8Array, final?: boolean) {
      pushed += chunk.length;
      inflate.call(this, chunk, final);
    });
    const before = process.memoryUsage().arrayBuffers;
    try {
      refused(() => gunzipBounded(bomb, 32 * MiB), /maxUncompressedBytes/);
    } finally {
      push.mockRestore();
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(pushed, 'input bytes inflated before the refusal').toBeLessThan(bomb.length / 8);
    /* At most the limit plus one push's output (and garbage not yet collected); nowhere near 1 GiB. */
    expect(grown).toBeLessThan(256 * MiB);
  });

  test('crc32 matches the RFC 1952 check value', () => {
    expect(crc32(utf8('123456789'))).toBe(0xcbf43926);
    expect(crc32(utf8('6789'), crc32(utf8('12345')))).toBe(0xcbf43926);
  });

  test('property: random bytes, and random changes to a good stream, only ever throw ERR_POLICY_BUNDLE_INVALID', () => {
    const good = gzip(DATA);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const input = bytes.length > 3 ? new Uint8Array([0x1f, 0x8b, 8, 0, ...bytes]) : bytes;
      try {
        gunzipBounded(input, MiB);
      } catch (error) {
        expect(WardError.isInstance(error) && error.code === 'ERR_POLICY_BUNDLE_INVALID').toBe(true);
      }
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.nat(good.length * 8 - 1), (bit) => {
      const flipped = good.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      try {
        /* The only bytes a flip may leave harmless: MTIME, XFL and OS (header bytes 4-9), padding bits after the last block. */
        expect(gunzipBounded(flipped, MiB)).toEqual(DATA);
      } catch (error) {
        expect(WardError.isInstance(error) && error.code === 'ERR_POLICY_BUNDLE_INVALID').toBe(true);
      }
    }), { numRuns: 300 });
  });
});

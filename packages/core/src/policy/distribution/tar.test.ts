/*
 * readTar, writeTar and normalizeBundlePath: the strict ustar/pax reader against path traversal,
 * links and devices, duplicate entries, pax and GNU headers, size fields, checksums and
 * truncation, and the writer's round trip.
 */
import * as fc from 'fast-check';
import { gunzipSync } from 'fflate';
import { describe, expect, test } from 'vitest';
import { WardError } from '../../errors.js';
import { fixture, paxRecords, refused, tarArchive, tarHeader, text, utf8 } from '../../../test-kit/policy-bundle.js';
import { normalizeBundlePath, readTar, writeTar } from './tar.js';

const LIMITS = { maxFiles: 16, maxFileBytes: 4096 };

const file = (name: string, content = 'x', spec: Parameters<typeof tarHeader>[0] = {}): { header: Uint8Array; data: Uint8Array } => {
  const data = utf8(content);
  return { header: tarHeader({ name, size: data.length, ...spec }), data };
};

describe('readTar', () => {
  test('reads what opa build writes (Go archive/tar, ustar, names with a leading "/")', () => {
    const files = readTar(gunzipSync(fixture('unsigned.tar.gz')), { maxFiles: 16, maxFileBytes: 1 << 20 });
    expect(files.map((f) => f.path)).toEqual(['data.json', 'policy.rego', 'policy.wasm', '.manifest']);
    expect(text(files[0]!.data)).toContain('Aarhus');
  });

  test('reads what GNU tar writes (gnu magic, directory entries skipped)', () => {
    const files = readTar(gunzipSync(fixture('opa-sign-nested.tar.gz')), { maxFiles: 16, maxFileBytes: 1 << 20 });
    expect(files.map((f) => f.path)).toEqual(['.manifest', '.signatures.json', 'a/b/data.json', 'data.json', 'policy.wasm']);
  });

  test('writeTar → readTar round trip, long and non-ASCII names through pax, empty files', () => {
    const long = `${'deep/'.repeat(40)}data.json`;
    const files = [
      { path: 'a.txt', data: utf8('alpha') },
      { path: long, data: utf8('{"x":1}') },
      { path: 'zones/süd/東京.json', data: utf8('{}') },
      { path: 'empty', data: new Uint8Array(0) },
      { path: 'block', data: new Uint8Array(512).fill(7) },
    ];
    expect(readTar(writeTar(files), LIMITS)).toEqual(files);
  });

  test('ustar prefix field joins the name (POSIX), and a pax path overrides both', () => {
    const prefixed = tarArchive([{ header: tarHeader({ name: 'data.json', prefix: 'zones/north', size: 2 }), data: utf8('{}') }]);
    expect(readTar(prefixed, LIMITS).map((f) => f.path)).toEqual(['zones/north/data.json']);
    const pax = paxRecords([['path', 'from/pax.json'], ['mtime', '1700000000.5'], ['SCHILY.xattr.user.x', 'y']]);
    const archive = tarArchive([{ header: tarHeader({ type: 'x', size: pax.length, name: 'PaxHeaders/x' }), data: pax }, file('ignored.json', '{}')]);
    expect(readTar(archive, LIMITS).map((f) => f.path)).toEqual(['from/pax.json']);
  });

  test('a pax size overrides the header size', () => {
    const pax = paxRecords([['size', '3']]);
    const archive = tarArchive([{ header: tarHeader({ type: 'x', size: pax.length }), data: pax }, { header: tarHeader({ name: 'a', size: 0 }), data: utf8('abc') }]);
    expect(text(readTar(archive, LIMITS)[0]!.data)).toBe('abc');
  });

  test('checksum: a header whose checksum does not match is refused', () => {
    refused(() => readTar(tarArchive([file('a.txt', 'x', { checksumDelta: 1 })]), LIMITS), /checksum/);
  });

  test.each([
    ['1', 'hard link'], ['2', 'symbolic link'], ['3', 'character device'], ['4', 'block device'], ['6', 'FIFO'],
    ['7', 'contiguous file'], ['g', 'pax global header'], ['L', 'GNU long name'], ['K', 'GNU long link name'], ['S', 'sparse'], ['Z', 'type'],
  ])('link and special entries: type %s (%s) is refused', (type, what) => {
    refused(() => readTar(tarArchive([{ header: tarHeader({ name: 'policy.wasm', type, linkname: '/etc/passwd' }) }]), LIMITS), new RegExp(what));
  });

  test('sparse files announced in pax records are refused', () => {
    const pax = paxRecords([['GNU.sparse.map', '0,10']]);
    refused(() => readTar(tarArchive([{ header: tarHeader({ type: 'x', size: pax.length }), data: pax }, file('a')]), LIMITS), /sparse/);
  });

  test.each(['../policy.wasm', 'a/../../b', 'a/..', '..'])('path traversal: %s is refused', (name) => {
    refused(() => readTar(tarArchive([file(name)]), LIMITS), /"\.\."/);
  });

  test('path traversal through a pax path is refused too', () => {
    const pax = paxRecords([['path', '../../etc/cron.d/x']]);
    refused(() => readTar(tarArchive([{ header: tarHeader({ type: 'x', size: pax.length }), data: pax }, file('a')]), LIMITS), /"\.\."/);
  });

  test('names: leading "/" and "./" are dropped; empty, control characters, backslashes and drive letters refused', () => {
    expect(readTar(tarArchive([file('/data.json'), file('./a//b/./c.json')]), LIMITS).map((f) => f.path)).toEqual(['data.json', 'a/b/c.json']);
    for (const name of ['', '/', './', 'a\u0001b', 'a\\b', 'C:/x', 'c:', 'line\nbreak']) {
      refused(() => readTar(tarArchive([file(name)]), LIMITS));
    }
  });

  test('names that are not UTF-8 are refused', () => {
    const header = tarHeader({ name: 'x', size: 0 });
    header[0] = 0xff;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    header.set(utf8(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    refused(() => readTar(tarArchive([{ header }]), LIMITS), /UTF-8/);
  });

  test('name confusion: a leading U+FEFF stays part of the name (".manifest" is not "\\uFEFF.manifest"), in the header and in pax', () => {
    const header = tarHeader({ name: '\uFEFF.manifest', size: 0 });
    expect(readTar(tarArchive([{ header }]), LIMITS).map((f) => f.path)).toEqual(['\uFEFF.manifest']);
    const records = paxRecords([['path', '\uFEFFdata.json']]);
    const pax = tarArchive([{ header: tarHeader({ name: 'PaxHeader', type: 'x', size: records.length }), data: records }, { header: tarHeader({ name: 'x', size: 0 }) }]);
    expect(readTar(pax, LIMITS).map((f) => f.path)).toEqual(['\uFEFFdata.json']);
  });

  test('duplicate paths are refused, also when they differ only before normalisation', () => {
    refused(() => readTar(tarArchive([file('data.json'), file('data.json')]), LIMITS), /twice/);
    refused(() => readTar(tarArchive([file('/data.json'), file('./data.json')]), LIMITS), /twice/);
  });

  test('maxFiles: more regular files than the limit are refused; directories do not count', () => {
    const dirs = Array.from({ length: 20 }, (_, i) => ({ header: tarHeader({ name: `d${i}/`, type: '5' }) }));
    const files = Array.from({ length: 16 }, (_, i) => file(`f${i}`));
    expect(readTar(tarArchive([...dirs, ...files]), LIMITS)).toHaveLength(16);
    refused(() => readTar(tarArchive([...files, file('one-too-many')]), LIMITS), /maxFiles/);
  });

  test('maxFileBytes: an oversized file is refused from its header, before its data is read', () => {
    refused(() => readTar(tarArchive([file('big', 'x'.repeat(4097))]), LIMITS), /maxFileBytes/);
    /* The header claims 1 GiB and the data is not there at all: refused as oversized, not read. */
    refused(() => readTar(tarArchive([{ header: tarHeader({ name: 'huge', size: 2 ** 30 }) }]), LIMITS), /maxFileBytes/);
  });

  test('truncation anywhere is refused', () => {
    const archive = tarArchive([file('a.json', '{"a":1}'), file('b.json', 'b'.repeat(600))]);
    for (let cut = 1; cut <= archive.length; cut += 97) refused(() => readTar(archive.subarray(0, archive.length - cut), LIMITS));
    refused(() => readTar(archive.subarray(0, archive.length - 1024), LIMITS), /truncated/);
  });

  test('end of archive: one zero block followed by a header, or nothing, is refused; zero padding after the marker is fine', () => {
    const entries = [file('a')];
    refused(() => readTar(tarArchive(entries, new Uint8Array(512)), LIMITS), /two zero blocks/);
    refused(() => readTar(tarArchive(entries, new Uint8Array([...new Uint8Array(512), ...tarHeader({ name: 'b' })])), LIMITS), /two zero blocks/);
    expect(readTar(tarArchive(entries, new Uint8Array(10240 - 1024)), LIMITS)).toHaveLength(1);
  });

  test('trailing garbage after the end-of-archive marker is refused', () => {
    const garbage = new Uint8Array(2048);
    garbage[1500] = 1;
    refused(() => readTar(tarArchive([file('a')], garbage), LIMITS), /follows the end/);
  });

  test('pax header problems: two in a row, at the end, repeated keys, bad records, too large', () => {
    const pax = paxRecords([['path', 'a']]);
    const x = { header: tarHeader({ type: 'x', size: pax.length }), data: pax };
    refused(() => readTar(tarArchive([x, x, file('b')]), LIMITS), /two pax headers/);
    refused(() => readTar(tarArchive([x]), LIMITS), /end of the archive/);
    const twice = paxRecords([['path', 'a'], ['path', 'b']]);
    refused(() => readTar(tarArchive([{ header: tarHeader({ type: 'x', size: twice.length }), data: twice }, file('c')]), LIMITS), /repeats/);
    for (const bad of ['5 a=b\n', '12 path=ab\n', '06 a=b\n', 'x a=b\n', '7 =ab\n', '7 path\n']) {
      const data = utf8(bad);
      refused(() => readTar(tarArchive([{ header: tarHeader({ type: 'x', size: data.length }), data }, file('c')]), LIMITS));
    }
    const badSize = paxRecords([['size', '-1']]);
    refused(() => readTar(tarArchive([{ header: tarHeader({ type: 'x', size: badSize.length }), data: badSize }, file('c')]), LIMITS), /size/);
    refused(() => readTar(tarArchive([{ header: tarHeader({ type: 'x', size: 70_000 }), data: new Uint8Array(70_000) }]), LIMITS), /too large/);
  });

  test('numeric fields: base-256 and non-octal sizes are refused; space-padded octal (GNU) is read', () => {
    const base256 = new Uint8Array(12);
    base256[0] = 0x80;
    base256[11] = 1;
    refused(() => readTar(tarArchive([{ header: tarHeader({ sizeField: base256 }) }]), LIMITS), /base-256/);
    refused(() => readTar(tarArchive([{ header: tarHeader({ sizeField: utf8('0000000009\0 ') }) }]), LIMITS), /octal/);
    const spaced = tarArchive([{ header: tarHeader({ name: 'a', sizeField: utf8('          1 ') }), data: utf8('z') }]);
    expect(text(readTar(spaced, LIMITS)[0]!.data)).toBe('z');
  });

  test('not ustar: other magic values (v7 tar, garbage) are refused', () => {
    refused(() => readTar(tarArchive([{ header: tarHeader({ magic: '\0\0\0\0\0\0\0\0' }) }]), LIMITS), /ustar/);
    refused(() => readTar(tarArchive([{ header: tarHeader({ magic: 'ustar\u000001' }) }]), LIMITS), /ustar/);
  });

  test('a directory entry with content is refused', () => {
    refused(() => readTar(tarArchive([{ header: tarHeader({ name: 'd/', type: '5', size: 1 }), data: utf8('x') }]), LIMITS), /directory/);
  });

  test('property: random bytes and bit flips of an archive only ever throw ERR_POLICY_BUNDLE_INVALID', () => {
    const archive = writeTar([{ path: 'a.json', data: utf8('{"a":1}') }, { path: 'policy.wasm', data: new Uint8Array(700).fill(1) }]);
    const check = (bytes: Uint8Array): void => {
      try {
        readTar(bytes, LIMITS);
      } catch (error) {
        expect(WardError.isInstance(error) && error.code === 'ERR_POLICY_BUNDLE_INVALID').toBe(true);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), check), { numRuns: 200 });
    fc.assert(fc.property(fc.nat(archive.length * 8 - 1), (bit) => {
      const flipped = archive.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      check(flipped);
    }), { numRuns: 500 });
  });
});

describe('normalizeBundlePath', () => {
  test('canonical forms', () => {
    expect(normalizeBundlePath('/policy.wasm')).toBe('policy.wasm');
    expect(normalizeBundlePath('//a/./b//c')).toBe('a/b/c');
    expect(normalizeBundlePath('./', true)).toBe('');
    expect(normalizeBundlePath('.hidden/..x')).toBe('.hidden/..x');
  });
});

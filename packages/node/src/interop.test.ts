/*
 * Interoperability with two independent COSE implementations (interop/README.md):
 *
 * - go-cose (github.com/veraison/go-cose, Go): COSE_Sign1 only;
 * - pycose (PyPI, Python): Sign1, Mac0, Encrypt0 and Encrypt with recipients.
 *
 * For each peer: (a) Ward messages made on BOTH backends (noble, node) are handed to the peer,
 * which must accept each with the right payload; (b) the peer produces messages that Ward must
 * verify/open on both backends; (c) negative controls: Ward messages with one flipped byte in
 * the signature, tag or ciphertext (and a wrong external AAD) must be REJECTED by the peer, so
 * the peer is really checking. Sealed envelopes with content type 96 carry their ciphertext
 * detached in the Sign1's unprotected header (-65540), bound to the signature by a SHA-256
 * digest in the signed COSE_Encrypt (-65541): both peers check the digest, and a flipped byte
 * inside that ciphertext (which the signature does not cover directly) must be rejected.
 *
 * The peers are installed by `bash interop/setup.sh` (CI runs it). A missing Go, Python or
 * package FAILS these tests with instructions; WARD_SKIP_INTEROP=1 skips them with a warning.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createNobleBackend, openEnvelope, sealEnvelope } from '@ward/core';
import {
  decryptEncrypt, decryptEncrypt0, createEncrypt, createEncrypt0, createMac0, createSign1, verifyMac0, verifySign1,
} from '@ward/core/cose';
import { encodeCbor } from '@ward/core/cbor';
import type {
  AeadKey, AgreementPrivateKey, AgreementPublicKey, CryptoBackend, HeaderMap, MacKey, RecipientKey, RecipientSpec,
  SigningKey, VerifyingKey, WrappingKey,
} from '@ward/core';
import { createNodeBackend } from '@ward/node';

/* ------------------------------------------------------------------------------------------ */
/* Setup: where the peers are, how to run them                                                */
/* ------------------------------------------------------------------------------------------ */

const SKIP = process.env['WARD_SKIP_INTEROP'] === '1';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const INTEROP = join(ROOT, 'interop');
const GO_BINARY = join(INTEROP, '.build', 'ward-interop-go');
const VENV_PYTHON = join(INTEROP, '.venv', 'bin', 'python');
const HINT = 'Install the interop peers with `bash interop/setup.sh` (needs Go 1.21+ and Python 3.10+ with venv; '
  + 'on Debian: apt-get install golang python3-venv), or set WARD_SKIP_INTEROP=1 to skip these tests.';

if (SKIP) {
  console.warn('WARD_SKIP_INTEROP=1: the go-cose and pycose interop tests are SKIPPED. CI must run them (interop/README.md).');
}

type BackendName = 'noble' | 'node';
const BACKENDS: Record<BackendName, CryptoBackend> = { noble: createNobleBackend(), node: createNodeBackend() };
const NAMES: readonly BackendName[] = ['noble', 'node'];

type Status = 'ok' | 'rejected' | 'unsupported' | 'error';
type Peer = 'go' | 'py';
type Json = Record<string, unknown>;

/** One result line a peer writes (interop/README.md, "Protocol"). */
interface PeerResult {
  readonly id: string;
  readonly status: Status;
  readonly payload?: string;
  readonly message?: string;
  readonly publicKey?: string;
  readonly headers?: Json;
  readonly error?: string;
  readonly note?: string;
}
interface PeerOutput {
  readonly peer: string;
  readonly library: string;
  readonly version: string;
  readonly results: readonly PeerResult[];
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
function unhex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}
function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
/** A copy of a COSE message with its last byte flipped: the last byte of the signature (Sign1),
 * tag (Mac0), ciphertext tag (Encrypt0) or last recipient's wrapped key (Encrypt). */
function flipLastByte(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0x01;
  return copy;
}

/** Sign1 unprotected label of a content-type-96 envelope's detached ciphertext (notes: detached format). */
const LABEL_DETACHED_CIPHERTEXT = -65540;

/** The detached ciphertext in a sealed envelope's Sign1 unprotected bucket (content type 96). */
function detachedCiphertext(unprotected: HeaderMap): Uint8Array {
  const labels = [...unprotected.keys()];
  expect(labels, 'content type 96: the Sign1 unprotected bucket is exactly {-65540: bstr}').toEqual([LABEL_DETACHED_CIPHERTEXT]);
  const value = unprotected.get(LABEL_DETACHED_CIPHERTEXT);
  if (!(value instanceof Uint8Array)) throw new Error('the detached ciphertext (-65540) is not a byte string');
  return value;
}

/** A copy of `bytes` with one byte flipped in the middle of `part`, which occurs exactly once in it
 * (the detached ciphertext: high-entropy, so it cannot recur by chance). */
function flipByteInside(bytes: Uint8Array, part: Uint8Array): Uint8Array {
  const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const needle = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
  const at = haystack.indexOf(needle);
  expect(part.length, 'a ciphertext to tamper with').toBeGreaterThan(0);
  expect(at, 'the part occurs in the message').toBeGreaterThanOrEqual(0);
  expect(haystack.indexOf(needle, at + 1), 'the part occurs once').toBe(-1);
  const copy = bytes.slice();
  const where = at + Math.floor(part.length / 2);
  copy[where] = copy[where]! ^ 0x01;
  return copy;
}

/** Runs a peer; any failure to run it is a test failure that says how to fix it. */
function runPeer(what: string, command: string, args: readonly string[], cwd: string): void {
  const run = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (run.error !== undefined) throw new Error(`${what}: cannot run ${command}: ${run.error.message}.\n${HINT}`);
  if (run.status !== 0) {
    throw new Error(`${what}: \`${command} ${args.join(' ')}\` exited ${String(run.status)}:\n${run.stderr}${run.stdout}\n${HINT}`);
  }
}

function hasCommand(command: string, args: readonly string[]): boolean {
  const run = spawnSync(command, args, { encoding: 'utf8' });
  return run.error === undefined && run.status === 0;
}

/** Writes the job, runs the peer, reads and indexes its results. */
function exchange(peer: Peer, dir: string, cases: readonly Json[]): { output: PeerOutput; byId: Map<string, PeerResult> } {
  const job = join(dir, `job-${peer}.json`);
  const result = join(dir, `result-${peer}.json`);
  writeFileSync(job, JSON.stringify({ cases }, null, 2));
  if (peer === 'go') {
    if (hasCommand('go', ['version'])) {
      /* Build from source every run (cached by Go: fast), so the binary never lags main.go. */
      runPeer('go-cose peer build', 'go', ['build', '-buildvcs=false', '-o', GO_BINARY, '.'], join(INTEROP, 'go'));
    } else if (!existsSync(GO_BINARY)) {
      throw new Error(`go-cose peer: Go is not installed and ${GO_BINARY} was not built.\n${HINT}`);
    }
    runPeer('go-cose peer', GO_BINARY, [job, result], INTEROP);
  } else {
    const python = existsSync(VENV_PYTHON) ? VENV_PYTHON : 'python3';
    runPeer('pycose peer', python, [join(INTEROP, 'python', 'interop.py'), job, result], INTEROP);
  }
  const output = JSON.parse(readFileSync(result, 'utf8')) as PeerOutput;
  const byId = new Map(output.results.map((r) => [r.id, r]));
  return { output, byId };
}

/* ------------------------------------------------------------------------------------------ */
/* Keys: raw material (what the peers get) and handles on a backend                           */
/* ------------------------------------------------------------------------------------------ */

interface RawPair { readonly priv: Uint8Array; readonly pub: Uint8Array }
interface RawKeys {
  readonly ed: RawPair;
  readonly p256: RawPair;
  readonly x25519: RawPair;
  readonly ecdhP256: RawPair;
  readonly a256kw: Uint8Array;
  readonly a128kw: Uint8Array;
  readonly aes256: Uint8Array;
  readonly aes128: Uint8Array;
  readonly chacha: Uint8Array;
  readonly hmac: Uint8Array;
}
interface Handles {
  readonly edPriv: SigningKey;
  readonly edPub: VerifyingKey;
  readonly p256Priv: SigningKey;
  readonly p256Pub: VerifyingKey;
  readonly x25519Priv: AgreementPrivateKey;
  readonly x25519Pub: AgreementPublicKey;
  readonly ecdhPriv: AgreementPrivateKey;
  readonly ecdhPub: AgreementPublicKey;
  readonly a256kw: WrappingKey;
  readonly a128kw: WrappingKey;
  readonly aes256: AeadKey;
  readonly aes128: AeadKey;
  readonly chacha: AeadKey;
  readonly hmac: MacKey;
}

/** Generates every key with `backend` itself (extractable) and exports the raw bytes. */
async function generateRaw(backend: CryptoBackend): Promise<RawKeys> {
  const pair = async (algorithm: 'Ed25519' | 'ECDSA-P256' | 'X25519' | 'ECDH-P256'): Promise<RawPair> => {
    const key = await backend.generateKey(algorithm, { extractable: true });
    return { priv: await backend.exportKey(key), pub: await backend.exportKey(await backend.publicKey(key)) };
  };
  const secret = async (algorithm: 'AES-KW' | 'AES-GCM' | 'ChaCha20-Poly1305' | 'HMAC-SHA256'): Promise<Uint8Array> =>
    backend.exportKey(await backend.generateKey(algorithm, { extractable: true }));
  return {
    ed: await pair('Ed25519'),
    p256: await pair('ECDSA-P256'),
    x25519: await pair('X25519'),
    ecdhP256: await pair('ECDH-P256'),
    a256kw: await secret('AES-KW'),
    a128kw: await backend.randomBytes(16),
    aes256: await secret('AES-GCM'),
    aes128: await backend.randomBytes(16),
    chacha: await secret('ChaCha20-Poly1305'),
    hmac: await secret('HMAC-SHA256'),
  };
}

async function importAll(backend: CryptoBackend, raw: RawKeys): Promise<Handles> {
  return {
    edPriv: await backend.importKey('Ed25519', 'private', raw.ed.priv),
    edPub: await backend.importKey('Ed25519', 'public', raw.ed.pub),
    p256Priv: await backend.importKey('ECDSA-P256', 'private', raw.p256.priv),
    p256Pub: await backend.importKey('ECDSA-P256', 'public', raw.p256.pub),
    x25519Priv: await backend.importKey('X25519', 'private', raw.x25519.priv),
    x25519Pub: await backend.importKey('X25519', 'public', raw.x25519.pub),
    ecdhPriv: await backend.importKey('ECDH-P256', 'private', raw.ecdhP256.priv),
    ecdhPub: await backend.importKey('ECDH-P256', 'public', raw.ecdhP256.pub),
    a256kw: await backend.importKey('AES-KW', 'secret', raw.a256kw),
    a128kw: await backend.importKey('AES-KW', 'secret', raw.a128kw),
    aes256: await backend.importKey('AES-GCM', 'secret', raw.aes256),
    aes128: await backend.importKey('AES-GCM', 'secret', raw.aes128),
    chacha: await backend.importKey('ChaCha20-Poly1305', 'secret', raw.chacha),
    hmac: await backend.importKey('HMAC-SHA256', 'secret', raw.hmac),
  };
}

const KID = {
  ed: utf8('signer-ed25519'),
  p256: utf8('signer-p256'),
  hmac: utf8('mac-key'),
  aes: utf8('content-key'),
  kw: utf8('reader-kw'),
  kw128: utf8('reader-kw128'),
  ecdh: utf8('reader-p256'),
  x25519: utf8('reader-x25519'),
} as const;

/** Options with `externalAad` only when there is one (exactOptionalPropertyTypes). */
function aadOption(aad: Uint8Array | undefined): { externalAad?: Uint8Array } {
  return aad === undefined ? {} : { externalAad: aad };
}

const CLAIMS = { issuer: 'footfall-counter-17', subject: 'footfall/market-square', sequence: 1041, issuedAt: 1_767_225_600 };
const ATTRIBUTES = { classification: 'personal', zone: 'market-square', purpose: ['planning'] };
/** Ward's sealed-envelope external AAD (SPEC.md §AAD binding), for checking a peer's own derivation. */
function sealAad(sign1Protected: Uint8Array): Uint8Array {
  return encodeCbor(['Ward sealed v1', sign1Protected]);
}

/* ------------------------------------------------------------------------------------------ */
/* (a) and (c): Ward → peer cases                                                             */
/* ------------------------------------------------------------------------------------------ */

interface WardCase {
  readonly id: string;
  readonly peers: readonly Peer[];
  /** The job entry (without id). */
  readonly job: Json;
  readonly expect: Exclude<Status, 'error'>;
  /** The payload / plaintext the peer must report when `ok`. */
  readonly payload?: Uint8Array;
  /** Further checks of the peer's result (headers it decoded). */
  readonly check?: (result: PeerResult) => void;
  /** A negative control (tampered message or wrong AAD). */
  readonly negative?: boolean;
}

async function wardCases(name: BackendName): Promise<WardCase[]> {
  const backend = BACKENDS[name];
  const raw = await generateRaw(backend);
  const k = await importAll(backend, raw);
  const aad = utf8(`Ward interop external AAD (${name})`);
  const cases: WardCase[] = [];
  const add = (c: WardCase): void => {
    cases.push({ ...c, id: `${name}/${c.id}` });
  };
  const both: Peer[] = ['go', 'py'];

  /* COSE_Sign1: EdDSA and ES256, with and without external AAD. */
  const signers: readonly { alg: 'EdDSA' | 'ES256'; key: SigningKey; pub: Uint8Array; kid: Uint8Array }[] = [
    { alg: 'EdDSA', key: k.edPriv, pub: raw.ed.pub, kid: KID.ed },
    { alg: 'ES256', key: k.p256Priv, pub: raw.p256.pub, kid: KID.p256 },
  ];
  for (const s of signers) {
    for (const withAad of [false, true]) {
      const payload = utf8(`sign1 ${s.alg}${withAad ? ' +aad' : ''} from Ward/${name}`);
      const externalAad = withAad ? aad : undefined;
      const message = await createSign1(payload, { backend, key: s.key, kid: s.kid, ...aadOption(externalAad) });
      const job = { op: 'verify', kind: 'sign1', alg: s.alg, publicKey: hex(s.pub), externalAad: hex(externalAad ?? new Uint8Array()) };
      const id = `sign1/${s.alg}${withAad ? '+aad' : ''}`;
      add({
        id, peers: both, job: { ...job, message: hex(message) }, expect: 'ok', payload,
        check: (r) => {
          if (r.headers === undefined) return; /* pycose reports no headers for plain Sign1 */
          expect(r.headers['alg']).toBe(s.alg === 'EdDSA' ? -8 : -7);
          expect(r.headers['kid']).toBe(`h'${hex(s.kid)}'`);
        },
      });
      add({ id: `tampered/${id}`, peers: both, job: { ...job, message: hex(flipLastByte(message)) }, expect: 'rejected', negative: true });
      if (withAad) {
        const wrong = { ...job, message: hex(message), externalAad: hex(utf8('another AAD')) };
        add({ id: `wrong-aad/${id}`, peers: both, job: wrong, expect: 'rejected', negative: true });
      }
    }
  }

  /* Empty payload and plaintext (a zero-length bstr, not nil). */
  {
    const empty = new Uint8Array(0);
    const signed = await createSign1(empty, { backend, key: k.edPriv, kid: KID.ed });
    add({
      id: 'sign1/EdDSA/empty-payload', peers: both, expect: 'ok', payload: empty,
      job: { op: 'verify', kind: 'sign1', alg: 'EdDSA', publicKey: hex(raw.ed.pub), externalAad: '', message: hex(signed) },
    });
    const encrypted = await createEncrypt0(empty, { backend, key: k.aes256 });
    add({
      id: 'encrypt0/A256GCM/empty-plaintext', peers: ['py'], expect: 'ok', payload: empty,
      job: { op: 'verify', kind: 'encrypt0', alg: 'A256GCM', key: hex(raw.aes256), externalAad: '', message: hex(encrypted) },
    });
  }

  /* COSE_Mac0: HMAC 256/256. */
  for (const withAad of [false, true]) {
    const payload = utf8(`mac0 HMAC256${withAad ? ' +aad' : ''} from Ward/${name}`);
    const externalAad = withAad ? aad : undefined;
    const message = await createMac0(payload, { backend, key: k.hmac, kid: KID.hmac, ...aadOption(externalAad) });
    const job = { op: 'verify', kind: 'mac0', alg: 'HMAC256', key: hex(raw.hmac), externalAad: hex(externalAad ?? new Uint8Array()) };
    const id = `mac0/HMAC256${withAad ? '+aad' : ''}`;
    add({ id, peers: ['py'], job: { ...job, message: hex(message) }, expect: 'ok', payload });
    add({ id: `tampered/${id}`, peers: ['py'], job: { ...job, message: hex(flipLastByte(message)) }, expect: 'rejected', negative: true });
  }

  /* COSE_Encrypt0: A256GCM (with and without AAD), A128GCM, ChaCha20/Poly1305. */
  const contents: readonly { alg: string; key: AeadKey; raw: Uint8Array; aad: boolean; expect: 'ok' | 'unsupported' }[] = [
    { alg: 'A256GCM', key: k.aes256, raw: raw.aes256, aad: false, expect: 'ok' },
    { alg: 'A256GCM', key: k.aes256, raw: raw.aes256, aad: true, expect: 'ok' },
    { alg: 'A128GCM', key: k.aes128, raw: raw.aes128, aad: true, expect: 'ok' },
    { alg: 'ChaCha20Poly1305', key: k.chacha, raw: raw.chacha, aad: true, expect: 'unsupported' },
  ];
  for (const c of contents) {
    const payload = utf8(`encrypt0 ${c.alg}${c.aad ? ' +aad' : ''} from Ward/${name}`);
    const externalAad = c.aad ? aad : undefined;
    const message = await createEncrypt0(payload, { backend, key: c.key, kid: KID.aes, ...aadOption(externalAad) });
    const job = { op: 'verify', kind: 'encrypt0', alg: c.alg, key: hex(c.raw), externalAad: hex(externalAad ?? new Uint8Array()) };
    const id = `encrypt0/${c.alg}${c.aad ? '+aad' : ''}`;
    add({ id, peers: ['py'], job: { ...job, message: hex(message) }, expect: c.expect, payload });
    if (c.expect === 'ok') {
      add({ id: `tampered/${id}`, peers: ['py'], job: { ...job, message: hex(flipLastByte(message)) }, expect: 'rejected', negative: true });
      if (c.aad) {
        add({ id: `wrong-aad/${id}`, peers: ['py'], job: { ...job, message: hex(message), externalAad: hex(utf8('x')) }, expect: 'rejected', negative: true });
      }
    }
  }

  /* COSE_Encrypt with recipients (all with external AAD). */
  const readers = {
    kw: { spec: { kek: k.a256kw, kid: KID.kw } as RecipientSpec, reader: { kind: 'A256KW', kek: hex(raw.a256kw), kid: hex(KID.kw) } },
    kw128: { spec: { kek: k.a128kw, kid: KID.kw128 } as RecipientSpec, reader: { kind: 'A128KW', kek: hex(raw.a128kw), kid: hex(KID.kw128) } },
    ecdh: {
      spec: { publicKey: k.ecdhPub, kid: KID.ecdh } as RecipientSpec,
      reader: { kind: 'ECDH-ES+A256KW', curve: 'P-256', privateKey: hex(raw.ecdhP256.priv), kid: hex(KID.ecdh) },
    },
    x25519: {
      spec: { publicKey: k.x25519Pub, kid: KID.x25519 } as RecipientSpec,
      reader: { kind: 'ECDH-ES+A256KW', curve: 'X25519', privateKey: hex(raw.x25519.priv), kid: hex(KID.x25519) },
    },
    ecdhDirect: {
      spec: { publicKey: k.ecdhPub, kid: KID.ecdh, mode: 'direct' } as RecipientSpec,
      reader: { kind: 'ECDH-ES+HKDF-256', curve: 'P-256', privateKey: hex(raw.ecdhP256.priv), kid: hex(KID.ecdh) },
    },
    x25519Direct: {
      spec: { publicKey: k.x25519Pub, kid: KID.x25519, mode: 'direct' } as RecipientSpec,
      reader: { kind: 'ECDH-ES+HKDF-256', curve: 'X25519', privateKey: hex(raw.x25519.priv), kid: hex(KID.x25519) },
    },
  };
  type ReaderName = keyof typeof readers;
  const encrypts: readonly { label: string; content: 'A256GCM' | 'ChaCha20Poly1305'; to: readonly ReaderName[]; openWith: readonly [ReaderName, 'ok' | 'unsupported'][] }[] = [
    { label: 'A256KW', content: 'A256GCM', to: ['kw'], openWith: [['kw', 'ok']] },
    { label: 'A128KW', content: 'A256GCM', to: ['kw128'], openWith: [['kw128', 'ok']] },
    { label: 'ECDH-ES+A256KW/P-256', content: 'A256GCM', to: ['ecdh'], openWith: [['ecdh', 'ok']] },
    { label: 'ECDH-ES+A256KW/X25519', content: 'A256GCM', to: ['x25519'], openWith: [['x25519', 'unsupported']] },
    { label: 'ECDH-ES+HKDF-256/P-256', content: 'A256GCM', to: ['ecdhDirect'], openWith: [['ecdhDirect', 'ok']] },
    { label: 'ECDH-ES+HKDF-256/X25519', content: 'A256GCM', to: ['x25519Direct'], openWith: [['x25519Direct', 'unsupported']] },
    {
      label: 'multi(A256KW,P-256,X25519)', content: 'A256GCM', to: ['kw', 'ecdh', 'x25519'],
      openWith: [['kw', 'ok'], ['ecdh', 'ok'], ['x25519', 'unsupported']],
    },
    { label: 'A256KW/ChaCha20Poly1305', content: 'ChaCha20Poly1305', to: ['kw'], openWith: [['kw', 'unsupported']] },
  ];
  for (const e of encrypts) {
    const payload = utf8(`encrypt ${e.label} from Ward/${name}`);
    const message = await createEncrypt(payload, {
      backend, recipients: e.to.map((r) => readers[r].spec), contentAlgorithm: e.content === 'A256GCM' ? 3 : 24, externalAad: aad,
    });
    for (const [reader, outcome] of e.openWith) {
      const job = { op: 'verify', kind: 'encrypt', contentAlg: e.content, recipient: readers[reader].reader, externalAad: hex(aad) };
      const id = `encrypt/${e.label}${e.openWith.length > 1 ? `/as-${reader}` : ''}+aad`;
      add({ id, peers: ['py'], job: { ...job, message: hex(message) }, expect: outcome, payload });
      if (e.label === 'A256KW') {
        /* The last byte of a one-recipient COSE_Encrypt is in the wrapped CEK: unwrap must fail. */
        add({ id: `tampered/${id}`, peers: ['py'], job: { ...job, message: hex(flipLastByte(message)) }, expect: 'rejected', negative: true });
      }
    }
  }

  /* Sealed envelopes: go-cose verifies the outer Sign1 (provenance without decryption) and
   * reports the protected header; for content type 96 it also checks the detached ciphertext
   * against the signed digest (kind `envelope`). pycose verifies the outer Sign1, checks the
   * digest (content type 96) AND decrypts the inner message. */
  const envelopes: readonly {
    label: string; signer: (typeof signers)[number]; inner: 'encrypt0' | 'encrypt';
    readers: readonly { as: string; reader: Json }[];
  }[] = [
    { label: 'encrypt0/EdDSA/A256GCM', signer: signers[0]!, inner: 'encrypt0', readers: [{ as: 'shared-key', reader: { key: hex(raw.aes256) } }] },
    {
      label: 'encrypt/ES256/A256KW+P-256', signer: signers[1]!, inner: 'encrypt',
      readers: [{ as: 'kw', reader: { recipient: readers.kw.reader } }, { as: 'p256', reader: { recipient: readers.ecdh.reader } }],
    },
  ];
  for (const env of envelopes) {
    const payload = utf8(`sealed ${env.label} from Ward/${name}`);
    const sequence = CLAIMS.sequence + cases.length;
    const id = utf8(`envelope-${name}-${env.label}`).subarray(0, 16);
    const claims = { ...CLAIMS, sequence, id };
    const sealed = await sealEnvelope(payload, {
      backend,
      signer: { key: env.signer.key, kid: env.signer.kid },
      claims,
      attributes: ATTRIBUTES,
      ...(env.inner === 'encrypt0' ? { key: { key: k.aes256, kid: KID.aes } } : { recipients: [readers.kw.spec, readers.ecdh.spec] }),
    });
    /* What Ward itself sees: the inner message (the Sign1 payload) and the signed header bytes. */
    const outer = await verifySign1(sealed, { backend, key: env.signer.key.algorithm === 'Ed25519' ? k.edPub : k.p256Pub });
    const expectedAad = hex(sealAad(outer.protectedBytes));
    const contentType = env.inner === 'encrypt0' ? 16 : 96;
    /* Content type 96: the ciphertext is detached into the Sign1 unprotected bucket; 16: that bucket is empty. */
    const ciphertext = env.inner === 'encrypt' ? detachedCiphertext(outer.unprotectedHeader) : undefined;
    if (ciphertext === undefined) expect([...outer.unprotectedHeader.keys()], 'content type 16: empty Sign1 unprotected bucket').toEqual([]);
    const signerJob = { alg: env.signer.alg, publicKey: hex(env.signer.pub) };
    const goJob = { op: 'verify', kind: 'sign1', ...signerJob, externalAad: '' };
    const checkGoHeaders = (h: Json): void => {
      expect(h['alg'], 'go-cose: alg').toBe(env.signer.alg === 'EdDSA' ? -8 : -7);
      expect(h['kid'], 'go-cose: kid').toBe(`h'${hex(env.signer.kid)}'`);
      expect(h['contentType'], 'go-cose: content type').toBe(contentType);
      expect(h['cwtClaims'], 'go-cose: CWT claims (label 15)').toEqual({
        '1': claims.issuer, '2': claims.subject, '6': claims.issuedAt, '7': `h'${hex(id)}'`, '-65537': sequence,
      });
      const labels = h['labels'] as string[];
      expect(labels, 'go-cose: protected labels').toEqual(
        ['-65537', ...(env.inner === 'encrypt' ? ['-65538'] : []), '1', '15', '3', '4'].sort(),
      );
      expect(h['unprotectedLabels'], 'go-cose: Sign1 unprotected labels').toEqual(ciphertext === undefined ? [] : [String(LABEL_DETACHED_CIPHERTEXT)]);
    };
    add({
      id: `envelope/${env.label}/outer-sign1`, peers: ['go'], job: { ...goJob, message: hex(sealed) }, expect: 'ok', payload: outer.payload,
      check: (r) => checkGoHeaders(r.headers ?? {}),
    });
    add({ id: `tampered/envelope/${env.label}/outer-sign1`, peers: ['go'], job: { ...goJob, message: hex(flipLastByte(sealed)) }, expect: 'rejected', negative: true });
    if (ciphertext !== undefined) {
      /* go-cose verifies the Sign1, the Go peer checks the detached ciphertext against the signed digest. */
      const goEnvelopeJob = { ...goJob, kind: 'envelope' };
      add({
        id: `envelope/${env.label}/detached-ciphertext`, peers: ['go'], job: { ...goEnvelopeJob, message: hex(sealed) }, expect: 'ok', payload: outer.payload,
        check: (r) => {
          const h = r.headers ?? {};
          checkGoHeaders(h);
          expect(h['detachedCiphertextLength'], 'go: detached ciphertext length').toBe(ciphertext.length);
          expect(h['innerCiphertextNil'], 'go: COSE_Encrypt ciphertext is nil').toBe(true);
          expect(h['innerUnprotectedLabels'], 'go: COSE_Encrypt unprotected labels (IV, digest)').toEqual(['-65541', '5']);
          expect(h['innerUnprotectedDeterministic'], 'go: COSE_Encrypt unprotected map in RFC 8949 §4.2.1 order').toBe(true);
          expect(h['digestAlg'], 'go: digest hash alg').toBe(-16);
          expect(h['ciphertextDigestMatches'], 'go: SHA-256 of the detached ciphertext').toBe(true);
        },
      });
      /* One flipped byte inside the detached ciphertext: the signature still verifies (it covers the
       * digest, not those bytes), so only the digest check can reject it. */
      add({
        id: `tampered-ciphertext/envelope/${env.label}`, peers: ['go'], job: { ...goEnvelopeJob, message: hex(flipByteInside(sealed, ciphertext)) },
        expect: 'rejected', negative: true,
        check: (r) => expect(r.error, 'go rejects on the digest, after go-cose verified the signature').toMatch(/digest/),
      });
    }
    for (const { as, reader } of env.readers) {
      const pyJob = { op: 'verify', kind: 'envelope', signer: signerJob, reader };
      add({
        id: `envelope/${env.label}/as-${as}`, peers: ['py'], job: { ...pyJob, message: hex(sealed) }, expect: 'ok', payload,
        check: (r) => {
          const h = r.headers ?? {};
          expect(h['contentType'], 'pycose: content type').toBe(contentType);
          expect(h['issuer'], 'pycose: issuer').toBe(claims.issuer);
          expect(h['sequence'], 'pycose: sequence').toBe(sequence);
          expect(h['classification'], 'pycose: classification').toBe(ATTRIBUTES.classification);
          expect(h['externalAad'], 'pycose derives the inner external AAD as Ward does').toBe(expectedAad);
          if (env.inner === 'encrypt') {
            expect(h['keyCommitmentMatches'], 'pycose: key commitment').toBe(true);
            expect(h['ciphertextDigestMatches'], 'pycose: SHA-256 of the detached ciphertext').toBe(true);
            expect(h['detachedCiphertextLength'], 'pycose: detached ciphertext length').toBe(ciphertext?.length);
          }
        },
      });
    }
    const pyNegative = { op: 'verify', kind: 'envelope', signer: signerJob, reader: env.readers[0]!.reader };
    add({
      id: `tampered/envelope/${env.label}`, peers: ['py'], job: { ...pyNegative, message: hex(flipLastByte(sealed)) },
      expect: 'rejected', negative: true,
    });
    if (ciphertext !== undefined) {
      add({
        id: `tampered-ciphertext/envelope/${env.label}`, peers: ['py'], job: { ...pyNegative, message: hex(flipByteInside(sealed, ciphertext)) },
        expect: 'rejected', negative: true,
        check: (r) => expect(r.error, 'pycose rejects on the digest, after the signature verified').toMatch(/digest/),
      });
    }
  }
  return cases;
}

/* ------------------------------------------------------------------------------------------ */
/* (b): peer → Ward cases                                                                     */
/* ------------------------------------------------------------------------------------------ */

interface ProducedCase {
  readonly id: string;
  readonly peer: Peer;
  readonly job: Json;
  readonly expect: 'ok' | 'unsupported';
  readonly payload: Uint8Array;
  /** Raw public key the peer must derive from the private key it was given. */
  readonly publicKey?: Uint8Array;
  /** Verifies/opens the peer's message with Ward; returns the payload. */
  readonly open?: (message: Uint8Array, backend: CryptoBackend, keys: Handles) => Promise<Uint8Array>;
}

function producedCases(raw: RawKeys): ProducedCase[] {
  const cases: ProducedCase[] = [];
  const aad = utf8('peer external AAD');
  const signerOf = (alg: 'EdDSA' | 'ES256') => (alg === 'EdDSA'
    ? { raw: raw.ed, kid: KID.ed, pub: (keys: Handles) => keys.edPub }
    : { raw: raw.p256, kid: KID.p256, pub: (keys: Handles) => keys.p256Pub });

  for (const peer of ['go', 'py'] as const) {
    const who = peer === 'go' ? 'go-cose' : 'pycose';
    for (const alg of ['EdDSA', 'ES256'] as const) {
      for (const withAad of [false, true]) {
        const s = signerOf(alg);
        const payload = utf8(`sign1 ${alg}${withAad ? ' +aad' : ''} from ${who}`);
        const externalAad = withAad ? aad : undefined;
        cases.push({
          id: `${peer}/sign1/${alg}${withAad ? '+aad' : ''}`, peer, expect: 'ok', payload, publicKey: s.raw.pub,
          job: { op: 'produce', kind: 'sign1', alg, privateKey: hex(s.raw.priv), payload: hex(payload), externalAad: hex(externalAad ?? new Uint8Array()), kid: hex(s.kid) },
          open: async (message, backend, keys) => {
            const verified = await verifySign1(message, { backend, key: s.pub(keys), ...aadOption(externalAad) });
            expect(hex(verified.kid ?? new Uint8Array())).toBe(hex(s.kid));
            if (withAad) {
              await expect(verifySign1(message, { backend, key: s.pub(keys), externalAad: utf8('wrong') }), 'Ward must reject a wrong AAD').rejects.toThrow();
            }
            return verified.payload;
          },
        });
      }
    }
  }

  for (const peer of ['go', 'py'] as const) {
    const s = signerOf('EdDSA');
    cases.push({
      id: `${peer}/sign1/EdDSA/empty-payload`, peer, expect: 'ok', payload: new Uint8Array(0), publicKey: s.raw.pub,
      job: { op: 'produce', kind: 'sign1', alg: 'EdDSA', privateKey: hex(s.raw.priv), payload: '', externalAad: '', kid: hex(s.kid) },
      open: async (message, backend, keys) => (await verifySign1(message, { backend, key: s.pub(keys) })).payload,
    });
  }

  /* pycose only from here on. */
  const macPayload = utf8('mac0 HMAC256 +aad from pycose');
  cases.push({
    id: 'py/mac0/HMAC256+aad', peer: 'py', expect: 'ok', payload: macPayload,
    job: { op: 'produce', kind: 'mac0', key: hex(raw.hmac), payload: hex(macPayload), externalAad: hex(aad), kid: hex(KID.hmac) },
    open: async (message, backend, keys) => (await verifyMac0(message, { backend, key: keys.hmac, externalAad: aad })).payload,
  });

  const encrypt0s: readonly { alg: string; raw: Uint8Array; key: (keys: Handles) => AeadKey; expect: 'ok' | 'unsupported' }[] = [
    { alg: 'A256GCM', raw: raw.aes256, key: (keys) => keys.aes256, expect: 'ok' },
    { alg: 'A128GCM', raw: raw.aes128, key: (keys) => keys.aes128, expect: 'ok' },
    { alg: 'ChaCha20Poly1305', raw: raw.chacha, key: (keys) => keys.chacha, expect: 'unsupported' },
  ];
  for (const c of encrypt0s) {
    const payload = utf8(`encrypt0 ${c.alg} +aad from pycose`);
    cases.push({
      id: `py/encrypt0/${c.alg}+aad`, peer: 'py', expect: c.expect, payload,
      job: { op: 'produce', kind: 'encrypt0', alg: c.alg, key: hex(c.raw), kid: hex(KID.aes), payload: hex(payload), externalAad: hex(aad) },
      open: async (message, backend, keys) => (await decryptEncrypt0(message, { backend, key: c.key(keys), externalAad: aad })).plaintext,
    });
  }

  const recipients = {
    kw: { job: { kind: 'A256KW', kek: hex(raw.a256kw), kid: hex(KID.kw) }, key: (keys: Handles): RecipientKey => ({ kek: keys.a256kw, kid: KID.kw }) },
    kw128: { job: { kind: 'A128KW', kek: hex(raw.a128kw), kid: hex(KID.kw128) }, key: (keys: Handles): RecipientKey => ({ kek: keys.a128kw, kid: KID.kw128 }) },
    ecdh: {
      job: { kind: 'ECDH-ES+A256KW', curve: 'P-256', publicKey: hex(raw.ecdhP256.pub), kid: hex(KID.ecdh) },
      key: (keys: Handles): RecipientKey => ({ privateKey: keys.ecdhPriv, kid: KID.ecdh }),
    },
    ecdhDirect: {
      job: { kind: 'ECDH-ES+HKDF-256', curve: 'P-256', publicKey: hex(raw.ecdhP256.pub), kid: hex(KID.ecdh) },
      key: (keys: Handles): RecipientKey => ({ privateKey: keys.ecdhPriv, kid: KID.ecdh }),
    },
    x25519: {
      job: { kind: 'ECDH-ES+A256KW', curve: 'X25519', publicKey: hex(raw.x25519.pub), kid: hex(KID.x25519) },
      key: (keys: Handles): RecipientKey => ({ privateKey: keys.x25519Priv, kid: KID.x25519 }),
    },
    x25519Direct: {
      job: { kind: 'ECDH-ES+HKDF-256', curve: 'X25519', publicKey: hex(raw.x25519.pub), kid: hex(KID.x25519) },
      key: (keys: Handles): RecipientKey => ({ privateKey: keys.x25519Priv, kid: KID.x25519 }),
    },
  };
  type RecipientName = keyof typeof recipients;
  const encrypts: readonly { label: string; to: readonly RecipientName[]; expect: 'ok' | 'unsupported' }[] = [
    { label: 'A256KW', to: ['kw'], expect: 'ok' },
    { label: 'A128KW', to: ['kw128'], expect: 'ok' },
    { label: 'ECDH-ES+A256KW/P-256', to: ['ecdh'], expect: 'ok' },
    { label: 'ECDH-ES+HKDF-256/P-256', to: ['ecdhDirect'], expect: 'ok' },
    { label: 'multi(A256KW,P-256)', to: ['kw', 'ecdh'], expect: 'ok' },
    { label: 'ECDH-ES+A256KW/X25519', to: ['x25519'], expect: 'unsupported' },
    { label: 'ECDH-ES+HKDF-256/X25519', to: ['x25519Direct'], expect: 'unsupported' },
  ];
  for (const e of encrypts) {
    const payload = utf8(`encrypt ${e.label} +aad from pycose`);
    cases.push({
      id: `py/encrypt/${e.label}+aad`, peer: 'py', expect: e.expect, payload,
      job: { op: 'produce', kind: 'encrypt', contentAlg: 'A256GCM', recipients: e.to.map((r) => recipients[r].job), payload: hex(payload), externalAad: hex(aad) },
      /* Every reader opens it. */
      open: async (message, backend, keys) => {
        const plaintexts = [];
        for (const r of e.to) {
          plaintexts.push(hex((await decryptEncrypt(message, { backend, recipient: recipients[r].key(keys), externalAad: aad })).plaintext));
        }
        expect(new Set(plaintexts).size).toBe(1);
        return unhex(plaintexts[0]!);
      },
    });
  }

  /* Sealed envelopes built by pycose from SPEC.md: Ward's openEnvelope() must accept them. */
  const envelopes: readonly { label: string; alg: 'EdDSA' | 'ES256'; encryption: Json; readers: readonly ((keys: Handles) => { key: AeadKey } | { recipient: RecipientKey })[] }[] = [
    {
      label: 'encrypt0/EdDSA/A256GCM', alg: 'EdDSA',
      encryption: { kind: 'encrypt0', alg: 'A256GCM', key: hex(raw.aes256), kid: hex(KID.aes) },
      readers: [(keys) => ({ key: keys.aes256 })],
    },
    {
      label: 'encrypt/ES256/A256KW+P-256', alg: 'ES256',
      encryption: { kind: 'encrypt', contentAlg: 'A256GCM', recipients: [recipients.kw.job, recipients.ecdh.job] },
      readers: [(keys) => ({ recipient: recipients.kw.key(keys) }), (keys) => ({ recipient: recipients.ecdh.key(keys) })],
    },
  ];
  for (const env of envelopes) {
    const s = signerOf(env.alg);
    const payload = utf8(`sealed ${env.label} by pycose`);
    const claims = { ...CLAIMS, id: hex(utf8(`py-${env.label}`).subarray(0, 16)) };
    cases.push({
      id: `py/envelope/${env.label}`, peer: 'py', expect: 'ok', payload, publicKey: s.raw.pub,
      job: {
        op: 'produce', kind: 'envelope', signer: { alg: env.alg, privateKey: hex(s.raw.priv), kid: hex(s.kid) }, claims, attributes: ATTRIBUTES,
        encryption: env.encryption, payload: hex(payload),
      },
      open: async (message, backend, keys) => {
        /* pycose's envelope has the layout of its content type: detached ciphertext for 96 only. */
        const { unprotectedHeader } = await verifySign1(message, { backend, key: s.pub(keys) });
        const ciphertext = env.encryption['kind'] === 'encrypt' ? detachedCiphertext(unprotectedHeader) : undefined;
        if (ciphertext === undefined) expect([...unprotectedHeader.keys()], 'content type 16: empty Sign1 unprotected bucket').toEqual([]);
        const plaintexts = [];
        for (const reader of env.readers) {
          if (ciphertext !== undefined) {
            const tampered = flipByteInside(message, ciphertext);
            await expect(openEnvelope(tampered, { backend, trust: s.pub(keys), ...reader(keys) }), 'Ward must refuse a tampered detached ciphertext').rejects.toThrow();
          }
          const opened = await openEnvelope(message, { backend, trust: s.pub(keys), ...reader(keys) });
          expect(opened.facts.provenance.issuer).toBe(CLAIMS.issuer);
          expect(opened.facts.provenance.sequence).toBe(CLAIMS.sequence);
          expect(opened.facts.attributes.classification).toBe(ATTRIBUTES.classification);
          expect(opened.facts.encryption).toBe(env.encryption['kind']);
          expect(hex(opened.facts.signer.kid)).toBe(hex(s.kid));
          plaintexts.push(hex(opened.plaintext));
        }
        expect(new Set(plaintexts).size).toBe(1);
        return unhex(plaintexts[0]!);
      },
    });
  }
  return cases;
}

/* ------------------------------------------------------------------------------------------ */
/* The tests                                                                                  */
/* ------------------------------------------------------------------------------------------ */

const PEERS: readonly { peer: Peer; label: string }[] = [
  { peer: 'go', label: 'go-cose' },
  { peer: 'py', label: 'pycose' },
];

describe.skipIf(SKIP)('interop with independent COSE implementations', () => {
  let dir = '';
  const ward: WardCase[] = [];
  let raw: RawKeys | undefined;
  const handles = new Map<BackendName, Handles>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ward-interop-'));
    for (const name of NAMES) ward.push(...(await wardCases(name)));
    /* Keys for the peers' messages: made by the node backend, imported into both. */
    raw = await generateRaw(BACKENDS.node);
    for (const name of NAMES) handles.set(name, await importAll(BACKENDS[name], raw));
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const { peer, label } of PEERS) {
    describe(label, () => {
      let output: PeerOutput | undefined;
      let results = new Map<string, PeerResult>();
      let produced: ProducedCase[] = [];
      const counts = { wardToPeer: 0, peerToWard: 0, rejected: 0, unsupported: [] as string[] };

      /* A peer that cannot run fails every test below with the reason (not "skipped"). */
      let unavailable: Error | undefined;

      beforeAll(() => {
        produced = producedCases(raw!).filter((c) => c.peer === peer);
        const jobs = [
          ...ward.filter((c) => c.peers.includes(peer)).map((c) => ({ id: c.id, ...c.job })),
          ...produced.map((c) => ({ id: c.id, ...c.job })),
        ];
        try {
          ({ output, byId: results } = exchange(peer, dir, jobs));
        } catch (error) {
          unavailable = error instanceof Error ? error : new Error(String(error));
        }
      });
      afterAll(() => {
        if (output === undefined) return;
        console.log(
          `interop ${label} ${output.version}: Ward→${label} ${counts.wardToPeer} verified, `
          + `${label}→Ward ${counts.peerToWard} verified, ${counts.rejected} tampered rejected`
          + (counts.unsupported.length > 0 ? `, ${counts.unsupported.length} unsupported by ${label} (expected)` : ''),
        );
        for (const line of counts.unsupported) console.log(`  unsupported: ${line}`);
      });

      const resultOf = (id: string): PeerResult => {
        if (unavailable !== undefined) throw unavailable;
        const r = results.get(id);
        expect(r, `${label} wrote no result for ${id}`).toBeDefined();
        return r!;
      };

      test(`Ward → ${label}: every Ward message (noble and node backends) is accepted with the right payload`, () => {
        if (unavailable !== undefined) throw unavailable;
        const positive = ward.filter((c) => c.peers.includes(peer) && !c.negative);
        expect(positive.length).toBeGreaterThan(0);
        for (const c of positive) {
          const r = resultOf(c.id);
          const detail = `${label} on ${c.id}: ${r.status} ${r.error ?? ''} ${r.note ?? ''}`;
          expect(r.status, detail).toBe(c.expect);
          if (c.expect === 'unsupported') {
            counts.unsupported.push(`Ward→${label} ${c.id}: ${r.error ?? ''}`);
            continue;
          }
          expect(r.payload, detail).toBe(hex(c.payload!));
          c.check?.(r);
          counts.wardToPeer += 1;
        }
      });

      test(`negative controls: ${label} rejects Ward messages with a flipped signature/tag/ciphertext byte or a wrong AAD`, () => {
        if (unavailable !== undefined) throw unavailable;
        const negative = ward.filter((c) => c.peers.includes(peer) && c.negative);
        expect(negative.length).toBeGreaterThan(0);
        for (const c of negative) {
          const r = resultOf(c.id);
          /* 'rejected' exactly: the cryptographic check failed, not a parse error or a gap. */
          expect(r.status, `${label} on ${c.id}: ${r.status} ${r.error ?? ''}`).toBe('rejected');
          expect(r.payload, `${label} released a payload for ${c.id}`).toBeUndefined();
          c.check?.(r);
          counts.rejected += 1;
        }
      });

      test(`${label} → Ward: every message ${label} produces verifies/opens with Ward on both backends`, async () => {
        if (unavailable !== undefined) throw unavailable;
        expect(produced.length).toBeGreaterThan(0);
        for (const c of produced) {
          const r = resultOf(c.id);
          const detail = `${label} producing ${c.id}: ${r.status} ${r.error ?? ''} ${r.note ?? ''}`;
          expect(r.status, detail).toBe(c.expect);
          if (c.expect === 'unsupported') {
            counts.unsupported.push(`${label}→Ward ${c.id}: ${r.error ?? ''}`);
            continue;
          }
          if (c.publicKey !== undefined) expect(r.publicKey, `${c.id}: public key ${label} derived`).toBe(hex(c.publicKey));
          const message = unhex(r.message!);
          for (const name of NAMES) {
            const where = `Ward/${name} opening ${c.id}`;
            let payload: Uint8Array;
            try {
              payload = await c.open!(message, BACKENDS[name], handles.get(name)!);
            } catch (error) {
              throw new Error(`${where} failed (message ${r.message}): ${String(error)}`, { cause: error });
            }
            expect(hex(payload), where).toBe(hex(c.payload));
            /* And Ward refuses the same message with its last byte flipped. */
            await expect(c.open!(flipLastByte(message), BACKENDS[name], handles.get(name)!), `${where}, tampered`).rejects.toThrow();
            counts.peerToWard += 1;
          }
        }
      });
    });
  }
});

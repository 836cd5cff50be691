/*
 * Ward's bundle signature: `.signatures.cose` in the bundle root, a COSE_Sign1 (RFC 9052
 * §4.2) by a key the city's trust store holds with role `policy-bundle`, so policies are
 * signed and trusted the same way as data. Layout in the TSDoc of `signPolicyBundle`
 * (bundle.ts); this file signs and verifies the signature file itself.
 */
import type { CryptoBackend, SigningKey, VerifyingKey } from '../../backend/crypto-backend.js';
import { decodeCbor, encodeCbor } from '../../cbor/index.js';
import type { CborValue } from '../../cbor/index.js';
import { HeaderLabel } from '../../cose/headers.js';
import type { HeaderMap } from '../../cose/headers.js';
import type { KeySource } from '../../cose/key-lookup.js';
import { createSign1, verifySign1 } from '../../cose/sign1.js';
import { ClaimKey } from '../../profile/labels.js';
import { sameBytes, toHex } from '../../bytes.js';
import { quoted, signatureRefused as refused } from './refusal.js';
import { MAX_PATH_BYTES, normalizeBundlePath } from './tar.js';
import { readSignedDocumentHeader } from '../../profile/signed-document.js';

/**
 * The content type (COSE header 3) of `.signatures.cose`: a private text media type, so a
 * bundle signature can never be taken for an envelope, a trust-store document or another
 * signed Ward object, even when one key signs several of them.
 *
 * @example
 * ```ts
 * import { HeaderLabel } from '@ward/core/cose';
 * import { POLICY_BUNDLE_CONTENT_TYPE } from '@ward/core/policy';
 *
 * verified.protectedHeader.get(HeaderLabel.contentType) === POLICY_BUNDLE_CONTENT_TYPE;
 * ```
 */
export const POLICY_BUNDLE_CONTENT_TYPE = 'application/ward-policy-bundle+cbor';

/**
 * Verify Ward's own signature format: `.signatures.cose`, as {@link signPolicyBundle} writes it.
 */
export interface WardBundleVerification {
  /** Ward's `.signatures.cose`. */
  readonly form: 'ward';
  /**
   * Who may sign policy bundles: typically `trustStore.keySource('policy-bundle')`, which
   * checks the signer's kid, role, issuer (CWT `iss`), validity window and revocation at the
   * signing time (CWT `iat`). A bare verifying key also works (no issuer or role check then),
   * as does the PEM text of its SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), which
   * `readPolicyBundle` imports with the backend before it reads the bundle.
   */
  readonly trust: KeySource<VerifyingKey> | string;
}

/** What a verified `.signatures.cose` tells. */
export interface WardSignatureFacts {
  /** The signer's kid, lowercase hex. */
  readonly keyId: string;
  /** The signer's identity (CWT `iss`). */
  readonly issuer: string;
  /** When it claims to have signed (CWT `iat`), seconds since the epoch. */
  readonly issuedAt: number;
  /** The signed revision; the caller checks it against the manifest. */
  readonly revision: string;
}

/** Payload keys. */
const PayloadKey = { revision: 1, files: 2 } as const;
/** Longest revision the payload may carry, in bytes. */
const MAX_REVISION_BYTES = 64 * 1024;

/** Signs the file digests and revision; returns the `.signatures.cose` bytes. */
export async function signWardSignature(
  digests: ReadonlyMap<string, Uint8Array>,
  revision: string,
  options: {
    readonly backend: CryptoBackend;
    readonly signer: { readonly key: SigningKey; readonly kid: Uint8Array };
    readonly issuer: string;
    readonly issuedAt: number;
  },
): Promise<Uint8Array> {
  const files = new Map<CborValue, CborValue>();
  for (const [path, digest] of digests) files.set(path, digest);
  const payload = encodeCbor(new Map<CborValue, CborValue>([[PayloadKey.revision, revision], [PayloadKey.files, files]]));
  const protectedHeader: HeaderMap = new Map<number | string, CborValue>([
    [HeaderLabel.contentType, POLICY_BUNDLE_CONTENT_TYPE],
    [HeaderLabel.cwtClaims, new Map<CborValue, CborValue>([[ClaimKey.issuer, options.issuer], [ClaimKey.issuedAt, options.issuedAt]])],
  ]);
  return createSign1(payload, { backend: options.backend, key: options.signer.key, kid: options.signer.kid, protectedHeader });
}

/**
 * Verifies `.signatures.cose` with `verification.trust` and checks that it signs exactly
 * `files` (every bundle file but the signature files), each by its SHA-256. Throws
 * `ERR_POLICY_BUNDLE_SIGNATURE` with the precise failure (a TrustError, a VerificationError…)
 * in `cause`.
 */
export async function verifyWardSignature(
  signatureFile: Uint8Array,
  digests: ReadonlyMap<string, Uint8Array>,
  verification: WardBundleVerification & { readonly trust: KeySource<VerifyingKey> },
  backend: CryptoBackend,
  maxFiles: number,
): Promise<WardSignatureFacts> {
  let verified: Awaited<ReturnType<typeof verifySign1>>;
  try {
    /* Forged or foreign signatures: only a key `trust` accepts (for trust stores: role policy-bundle, as its issuer). */
    verified = await verifySign1(signatureFile, { backend, key: verification.trust });
  } catch (error) {
    throw refused('.signatures.cose does not verify', error);
  }
  /* The signed-document header rules (profile/signed-document.ts): closed header, content type, protected kid, CWT iss and iat only. */
  const header = readSignedDocumentHeader(verified.protectedHeader, verified.unprotectedHeader, POLICY_BUNDLE_CONTENT_TYPE);
  if ('problem' in header) throw refused(`.signatures.cose ${header.problem}`);
  const { kid, issuer, issuedAt } = header;

  let payload: CborValue;
  try {
    /* Malformed or smuggled content: deterministic CBOR only (RFC 8949 §4.2.1), limits as tight as the format allows. */
    payload = decodeCbor(verified.payload, {
      requireDeterministic: true,
      rejectIntegralFloats: true,
      maxBytes: verified.payload.length,
      maxDepth: 2,
      maxArrayEntries: 0,
      maxMapEntries: Math.max(2, maxFiles),
      maxStringBytes: Math.max(MAX_PATH_BYTES, MAX_REVISION_BYTES),
      maxItems: 2 * maxFiles + 8,
    });
  } catch (error) {
    throw refused('.signatures.cose payload is not the signed file list', error);
  }
  /* Smuggled content: the payload is exactly { 1: revision, 2: files }, nothing more. */
  if (!(payload instanceof Map) || payload.size !== 2) throw refused('.signatures.cose payload must be a map of revision and files');
  const revision = payload.get(PayloadKey.revision);
  const files = payload.get(PayloadKey.files);
  if (typeof revision !== 'string') throw refused('.signatures.cose payload revision is not text');
  if (!(files instanceof Map)) throw refused('.signatures.cose payload files is not a map');

  /* File substitution, removal and smuggling: the signed map is exactly the bundle's files. */
  for (const [path, digest] of files) {
    if (typeof path !== 'string' || !(digest instanceof Uint8Array) || digest.length !== 32) {
      throw refused('.signatures.cose payload files must map paths to 32-byte SHA-256 digests');
    }
    let canonical: string;
    try {
      /* Path traversal and aliasing: a signed path obeys the tar reader's rules and is in canonical form, so it names one file. */
      canonical = normalizeBundlePath(path);
    } catch (error) {
      throw refused(`the signature lists an unusable path ${quoted(path)}`, error);
    }
    if (canonical !== path) throw refused(`the signature lists ${quoted(path)}, not in canonical form`);
    const actual = digests.get(path);
    if (actual === undefined) throw refused(`the signature lists ${quoted(path)}, which the bundle does not hold`);
    if (!sameBytes(actual, digest)) throw refused(`${quoted(path)} does not match its signed hash`);
  }
  for (const path of digests.keys()) {
    if (!files.has(path)) throw refused(`${quoted(path)} is not covered by the signature`);
  }
  return { keyId: toHex(kid), issuer, issuedAt, revision };
}

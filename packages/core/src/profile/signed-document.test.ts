/*
 * The one reader of Ward's signed-document headers (trust-store documents, Ward-signed bundles,
 * signed decision records): one test per rule, so removing any rule fails here and in each
 * format's own suite.
 */
import { describe, expect, test } from 'vitest';
import type { CborValue } from '../cbor/index.js';
import { HeaderLabel } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { ClaimKey } from './labels.js';
import { readSignedDocumentHeader } from './signed-document.js';

const TYPE = 'application/ward-test+cbor';
const KID = new Uint8Array([1, 2, 3]);

function header(edit: (h: Map<number | string, CborValue>, claims: Map<CborValue, CborValue>) => void = () => {}): HeaderMap {
  const claims = new Map<CborValue, CborValue>([[ClaimKey.issuer, 'city-trust-admin'], [ClaimKey.issuedAt, 1_767_225_600]]);
  const h = new Map<number | string, CborValue>([[HeaderLabel.alg, -8], [HeaderLabel.contentType, TYPE], [HeaderLabel.kid, KID], [HeaderLabel.cwtClaims, claims]]);
  edit(h, claims);
  return h as HeaderMap;
}
const EMPTY = new Map() as HeaderMap;

describe('readSignedDocumentHeader', () => {
  test('a well-formed header: kid, iss and iat are returned', () => {
    expect(readSignedDocumentHeader(header(), EMPTY, TYPE)).toEqual({ kid: KID, issuer: 'city-trust-admin', issuedAt: 1_767_225_600 });
  });

  test.each([
    ['closed header: a protected parameter the format does not define', header((h) => h.set(99, 1)), EMPTY, /does not define/],
    ['closed header: anything unprotected', header(), new Map([[99, 1]]) as HeaderMap, /empty unprotected header/],
    ['content type: another format signed by the same key', header((h) => h.set(HeaderLabel.contentType, 'application/ward-trust-store+cbor')), EMPTY, /content type/],
    ['content type: missing', header((h) => h.delete(HeaderLabel.contentType)), EMPTY, /content type/],
    ['protected kid: missing', header((h) => h.delete(HeaderLabel.kid)), EMPTY, /kid/],
    ['protected kid: empty', header((h) => h.set(HeaderLabel.kid, new Uint8Array(0))), EMPTY, /kid/],
    ['CWT claims: missing', header((h) => h.delete(HeaderLabel.cwtClaims)), EMPTY, /no CWT claims/],
    ['CWT claims: a claim other than iss and iat', header((_, c) => c.set(4, 1)), EMPTY, /only iss and iat/],
    ['CWT iss: empty', header((_, c) => c.set(ClaimKey.issuer, '')), EMPTY, /iss/],
    ['CWT iss: a lone surrogate (no UTF-8 form)', header((_, c) => c.set(ClaimKey.issuer, 'admin\ud800')), EMPTY, /iss/],
    ['CWT iss: 257 characters', header((_, c) => c.set(ClaimKey.issuer, 'a'.repeat(257))), EMPTY, /iss/],
    ['CWT iat: negative', header((_, c) => c.set(ClaimKey.issuedAt, -1)), EMPTY, /iat/],
    ['CWT iat: fractional', header((_, c) => c.set(ClaimKey.issuedAt, 1.5)), EMPTY, /iat/],
    ['CWT iat: missing', header((_, c) => c.delete(ClaimKey.issuedAt)), EMPTY, /iat/],
  ])('%s is refused', (_, protectedHeader, unprotectedHeader, problem) => {
    const result = readSignedDocumentHeader(protectedHeader, unprotectedHeader, TYPE);
    expect(result).toHaveProperty('problem');
    expect((result as { problem: string }).problem).toMatch(problem);
  });
});

/*
 * The header rules of Ward's own signed documents: trust-store documents, Ward-signed policy
 * bundles and signed decision records are each a COSE_Sign1 whose protected header holds alg,
 * content type, kid and CWT claims (iss, iat), and nothing else. One reader for all three, so
 * their rules cannot drift apart; each caller turns a problem into its own typed error.
 */
import { HeaderLabel, closedHeaderProblem } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { isSeconds, isWellFormedText } from '../text.js';
import { ClaimKey } from './labels.js';

/** The labels a signed document's protected header may hold (RFC 9052 §3.1; RFC 9597 §2 for CWT claims). */
const DOCUMENT_LABELS: ReadonlySet<number | string> = new Set<number | string>([
  HeaderLabel.alg, HeaderLabel.contentType, HeaderLabel.kid, HeaderLabel.cwtClaims,
]);

/** What a signed document's protected header says. Internal to core. */
export interface SignedDocumentHeader {
  /** The signer's key id, non-empty. */
  readonly kid: Uint8Array;
  /** CWT `iss`: well-formed text of 1 to 256 characters. */
  readonly issuer: string;
  /** CWT `iat`: seconds since the epoch. */
  readonly issuedAt: number;
}

/**
 * Reads the headers of a verified signed document of `contentType`, or says what is wrong with
 * them (a phrase such as "has a protected header parameter the format does not define", for the
 * caller to prefix with the document's name and throw as its own error). Internal to core.
 */
export function readSignedDocumentHeader(
  protectedHeader: HeaderMap, unprotectedHeader: HeaderMap, contentType: string,
): SignedDocumentHeader | { readonly problem: string } {
  /*
   * Cross-format confusion and smuggling (RFC 9052 §3): the header is closed. Every protected
   * parameter is one the format defines, and nothing rides unprotected, where anyone could
   * change it without breaking the signature.
   */
  const closed = closedHeaderProblem(protectedHeader, unprotectedHeader, DOCUMENT_LABELS);
  if (closed === 'unknown-protected') return { problem: 'has a protected header parameter the format does not define' };
  if (closed === 'unprotected') return { problem: 'must have an empty unprotected header' };
  /* Cross-protocol confusion: a Sign1 the same key made for another purpose carries another content type. */
  if (protectedHeader.get(HeaderLabel.contentType) !== contentType) return { problem: `content type must be "${contentType}"` };
  /* RFC 9052 §3.1: the kid that picks the verifying key is protected, so the signature covers it. */
  const kid = protectedHeader.get(HeaderLabel.kid);
  if (!(kid instanceof Uint8Array) || kid.length === 0) return { problem: 'must name its signer with a protected kid' };
  /* RFC 9597 §2: CWT claims in the protected header (label 15) are signed with the payload. */
  const claims = protectedHeader.get(HeaderLabel.cwtClaims);
  if (!(claims instanceof Map)) return { problem: 'has no CWT claims' };
  /* Smuggled claims: only iss and iat (RFC 8392 §3.1.1, §3.1.6); any other claim would be meaning nobody enforces. */
  for (const label of claims.keys()) {
    if (label !== ClaimKey.issuer && label !== ClaimKey.issuedAt) return { problem: 'CWT claims may hold only iss and iat' };
  }
  const issuer = claims.get(ClaimKey.issuer);
  const issuedAt = claims.get(ClaimKey.issuedAt);
  /* Log injection and type confusion: iss is well-formed, bounded text; iat is NumericDate seconds (RFC 8392 §2). */
  if (!isWellFormedText(issuer)) return { problem: 'CWT iss must be text of 1 to 256 characters' };
  if (!isSeconds(issuedAt)) return { problem: 'CWT iat must be an unsigned integer' };
  return { kid, issuer, issuedAt };
}

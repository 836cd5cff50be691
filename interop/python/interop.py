#!/usr/bin/env python3
"""pycose side of Ward's interoperability test (packages/node/src/interop.test.ts).

    python3 interop/python/interop.py job.json result.json

Reads a JSON job ({"cases": [...]}), runs every case with pycose, and writes a JSON
result ({"peer", "library", "version", "results": [...]}). interop/README.md documents
each case kind. Keys are raw hex, as Ward's exportKey gives them: Ed25519/X25519 32 bytes;
P-256 private = 32-byte big-endian scalar, public = 65-byte uncompressed SEC1 point;
symmetric keys as their bytes.

Every result has a status:
  ok          the operation succeeded (payload/plaintext or produced message reported)
  rejected    a cryptographic check failed: signature or MAC false, AEAD tag or key
              unwrap failed (what a tampered message must give)
  unsupported the case uses an algorithm outside pycose's capabilities (CAPABILITIES
              below) and pycose failed on it; the error is reported
  error       anything else (a bug on one side or the other)

pycose 1.1.0 (read from its source): COSE_Sign1/Sign, COSE_Mac0/Mac, COSE_Encrypt0/Encrypt;
EdDSA (Ed25519/Ed448), ES256/384/512, PS*, RS*; HMAC 256/64, 256/256, 384, 512, AES-MAC;
A128/192/256GCM and AES-CCM, but NOT ChaCha20/Poly1305 (alg 24 is not registered);
recipients: direct, A128/192/256KW, RSA-OAEP, ECDH-ES/SS + HKDF-256/512 and
ECDH-ES/SS + A128/192/256KW, but its ECDH is EC2-only (P-256/384/521): X25519 (OKP)
ephemeral or static keys are not supported (_EcdhHkdf._ecdh reads an EC2 y coordinate and
the recipient classes insist on EC2Key).

Sealed envelopes with content type 96 (COSE_Encrypt inner) use Ward's detached-ciphertext
form: the COSE_Encrypt's ciphertext is nil, the AEAD ciphertext travels in the outer Sign1's
unprotected header (-65540) and the COSE_Encrypt's unprotected header carries
[-16, SHA-256(ciphertext)] (-65541), so the signature covers the ciphertext through the
digest. pycose has no notion of this: the script checks the layout and the digest itself
(cbor2 + hashlib) and hands pycose the ciphertext to decrypt. Content type 16 (COSE_Encrypt0
inner) is unchanged: ciphertext attached, Sign1 unprotected bucket empty.
"""

import hashlib
import hmac
import json
import os
import sys

try:
    import cbor2
    from importlib.metadata import version as package_version
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.keywrap import InvalidUnwrap
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from pycose import algorithms, headers
    from pycose.keys.curves import Ed25519, P256, X25519
    from pycose.keys.ec2 import EC2Key
    from pycose.keys.okp import OKPKey
    from pycose.keys.symmetric import SymmetricKey
    from pycose.messages import Enc0Message, EncMessage, Mac0Message, Sign1Message
    from pycose.messages.cosemessage import CoseMessage
    from pycose.messages.recipient import DirectKeyAgreement, KeyAgreementWithKeyWrap, KeyWrap
except ImportError as missing:  # pragma: no cover - reported to the test runner
    print(f"interop.py: a Python package is missing ({missing}). Run `bash interop/setup.sh` "
          f"(it creates interop/.venv from interop/python/requirements.txt).", file=sys.stderr)
    sys.exit(3)

# What pycose 1.1.0 implements, among the algorithms Ward emits.
CAPABILITIES = {
    "content": {"A128GCM", "A192GCM", "A256GCM"},
    "ecdhCurves": {"P-256"},
}

SIGNATURE_ALGS = {"EdDSA": algorithms.EdDSA, "ES256": algorithms.Es256}
CONTENT_ALGS = {"A128GCM": 1, "A192GCM": 2, "A256GCM": 3, "ChaCha20Poly1305": 24}
KEY_WRAP_ALGS = {"A128KW": algorithms.A128KW, "A192KW": algorithms.A192KW, "A256KW": algorithms.A256KW}
ECDH_ALGS = {"ECDH-ES+A256KW": algorithms.EcdhEsA256KW, "ECDH-ES+HKDF-256": algorithms.EcdhEsHKDF256}

# Ward's sealed-envelope profile (SPEC.md §Sealed envelope), re-implemented here from the spec.
SEAL_CONTEXT = "Ward sealed v1"
COMMITMENT_INFO = b"Ward/1 key commitment"
LABEL_ATTRIBUTES = -65537
LABEL_KEY_COMMITMENT = -65538
LABEL_CWT_CLAIMS = 15
CLAIM_SEQUENCE = -65537
CONTENT_FORMAT = {"encrypt0": 16, "encrypt": 96}
# Detached ciphertext of content type 96 envelopes (Ward's detached-ciphertext format).
LABEL_DETACHED_CIPHERTEXT = -65540  # Sign1 unprotected: the COSE_Encrypt's AEAD ciphertext
LABEL_CIPHERTEXT_DIGEST = -65541  # COSE_Encrypt unprotected: [hash alg, digest]
HASH_SHA256 = -16  # COSE algorithm SHA-256 (RFC 9054)
COSE_ENCRYPT_TAG = 96


class Rejected(Exception):
    """A cryptographic check failed."""


class Unsupported(Exception):
    """pycose cannot do this."""


def unhex(value):
    return bytes.fromhex(value or "")


def deterministic(value):
    """value with every map's keys in RFC 8949 §4.2.1 order (bytewise order of the encoded
    keys), for cbor2.dumps without canonical=True (which keeps insertion order). cbor2's own
    canonical=True sorts RFC 7049 style, shortest key first; for Ward's small integer labels
    the two orders agree (5 = 0x05 sorts before -65541 = 0x3a00010004 either way), but this
    is the rule the format states."""
    if isinstance(value, dict):
        entries = sorted(((cbor2.dumps(k), k, deterministic(v)) for k, v in value.items()), key=lambda e: e[0])
        return {k: v for _, k, v in entries}
    if isinstance(value, (list, tuple)):
        return [deterministic(v) for v in value]
    if isinstance(value, cbor2.CBORTag):
        return cbor2.CBORTag(value.tag, deterministic(value.value))
    return value


def deterministic_dumps(value):
    return cbor2.dumps(deterministic(value))


def needs_unsupported(case):
    """The capabilities outside pycose's that a case uses (empty when pycose should manage)."""
    missing = []
    algs = [case.get("alg"), case.get("contentAlg"), (case.get("encryption") or {}).get("alg"),
            (case.get("encryption") or {}).get("contentAlg")]
    for alg in algs:
        if alg in CONTENT_ALGS and alg not in CAPABILITIES["content"]:
            missing.append(f"content algorithm {alg}")
    recipients = list(case.get("recipients") or []) + list((case.get("encryption") or {}).get("recipients") or [])
    for r in [case.get("recipient"), (case.get("reader") or {}).get("recipient")] + recipients:
        if r and r.get("curve") and r["curve"] not in CAPABILITIES["ecdhCurves"]:
            missing.append(f"ECDH on {r['curve']}")
    return missing


# ----------------------------------------------------------------------------------------
# Keys
# ----------------------------------------------------------------------------------------

def signing_key(alg, private_raw):
    """pycose private key and its raw public key (derived here, for the test to compare)."""
    if alg == "EdDSA":
        public = Ed25519PrivateKey.from_private_bytes(private_raw).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return OKPKey(crv=Ed25519, x=public, d=private_raw), public
    key = EC2Key(crv=P256, d=private_raw)  # pycose derives x, y from d
    return key, b"\x04" + key.x + key.y


def verifying_key(alg, public_raw):
    if alg == "EdDSA":
        return OKPKey(crv=Ed25519, x=public_raw)
    if len(public_raw) != 65 or public_raw[0] != 4:
        raise ValueError("P-256 public key must be a 65-byte uncompressed point")
    return EC2Key(crv=P256, x=public_raw[1:33], y=public_raw[33:65])


def agreement_private_key(curve, private_raw):
    if curve == "P-256":
        return EC2Key(crv=P256, d=private_raw)
    return OKPKey(crv=X25519, d=private_raw)


def agreement_public_key(curve, public_raw):
    if curve == "P-256":
        return EC2Key(crv=P256, x=public_raw[1:33], y=public_raw[33:65])
    return OKPKey(crv=X25519, x=public_raw)


# ----------------------------------------------------------------------------------------
# Ward → pycose: verify / decrypt
# ----------------------------------------------------------------------------------------

def expect_alg(msg, expected_id):
    alg = msg.get_attr(headers.Algorithm)
    if alg is None or alg.identifier != expected_id:
        raise ValueError(f"message alg {getattr(alg, 'identifier', alg)} is not the expected {expected_id}")


def verify_sign1(message, alg, public_raw, external_aad):
    msg = CoseMessage.decode(message)
    if not isinstance(msg, Sign1Message):
        raise ValueError(f"not a COSE_Sign1: {type(msg).__name__}")
    # pycose takes the algorithm from the message; the verifier must pin it (RFC 9052 §8).
    expect_alg(msg, SIGNATURE_ALGS[alg].identifier)
    msg.key = verifying_key(alg, public_raw)
    msg.external_aad = external_aad
    if not msg.verify_signature():
        raise Rejected("signature does not verify")
    return msg


def verify_mac0(case):
    msg = CoseMessage.decode(unhex(case["message"]))
    if not isinstance(msg, Mac0Message):
        raise ValueError(f"not a COSE_Mac0: {type(msg).__name__}")
    expect_alg(msg, algorithms.HMAC256.identifier)
    msg.key = SymmetricKey(k=unhex(case["key"]))
    msg.external_aad = unhex(case.get("externalAad"))
    if not msg.verify_tag():
        raise Rejected("MAC does not verify")
    return {"payload": msg.payload.hex()}


def decrypt_encrypt0(message, key_raw, external_aad, alg=None):
    msg = CoseMessage.decode(message)
    if not isinstance(msg, Enc0Message):
        raise ValueError(f"not a COSE_Encrypt0: {type(msg).__name__}")
    if alg is not None:
        expect_alg(msg, CONTENT_ALGS[alg])
    msg.key = SymmetricKey(k=key_raw)
    msg.external_aad = external_aad
    return msg.decrypt()


def find_recipient(msg, kid):
    for r in msg.recipients:
        if kid is None or r.get_attr(headers.KID) == kid:
            return r
    raise ValueError("no recipient with that kid")


def recipient_key(spec):
    """Sets up the reader's key on the matching recipient; returns (recipient alg check, key)."""
    kind = spec["kind"]
    if kind in KEY_WRAP_ALGS:
        return KEY_WRAP_ALGS[kind], SymmetricKey(k=unhex(spec["kek"]))
    if kind in ECDH_ALGS:
        return ECDH_ALGS[kind], agreement_private_key(spec["curve"], unhex(spec["privateKey"]))
    raise ValueError(f"unknown recipient kind {kind}")


def open_encrypt(message, spec, external_aad, content_alg=None, detached_ciphertext=None):
    """Decrypts a COSE_Encrypt for one reader; returns (plaintext, raw CEK). With
    detached_ciphertext, the message's ciphertext must be nil and that one is decrypted."""
    msg = CoseMessage.decode(message)
    if not isinstance(msg, EncMessage):
        raise ValueError(f"not a COSE_Encrypt: {type(msg).__name__}")
    if detached_ciphertext is not None:
        if msg.payload is not None:
            raise ValueError("COSE_Encrypt ciphertext is attached; a detached one was expected")
        msg.payload = detached_ciphertext
    if content_alg is not None:
        expect_alg(msg, CONTENT_ALGS[content_alg])
    recipient = find_recipient(msg, unhex(spec["kid"]) if spec.get("kid") else None)
    expected_alg, key = recipient_key(spec)
    if recipient.get_attr(headers.Algorithm) is not expected_alg:
        raise ValueError(f"recipient alg {recipient.get_attr(headers.Algorithm)} is not {expected_alg}")
    recipient.key = key
    msg.external_aad = external_aad
    target = msg.get_attr(headers.Algorithm)
    cek = recipient.compute_cek(target, "decrypt").k
    return msg.decrypt(recipient), cek


def sign1_unprotected(message):
    """The unprotected bucket of a tagged COSE_Sign1, decoded by cbor2 (not by pycose)."""
    decoded = cbor2.loads(message)
    if not isinstance(decoded, cbor2.CBORTag) or decoded.tag != 18 or len(decoded.value) != 4:
        raise ValueError("not a tagged four-element COSE_Sign1")
    unprotected = decoded.value[1]
    if not isinstance(unprotected, dict):
        raise ValueError("Sign1 unprotected bucket is not a map")
    return unprotected


def check_detached_ciphertext(unprotected, inner_message):
    """Content type 96: the Sign1 unprotected bucket is exactly {-65540: bstr}, the (signed)
    COSE_Encrypt has a nil ciphertext and [-16, SHA-256(ciphertext)] at -65541. Returns the
    ciphertext; raises Rejected when the digest does not match (a tampered ciphertext)."""
    if set(unprotected) != {LABEL_DETACHED_CIPHERTEXT} or not isinstance(unprotected[LABEL_DETACHED_CIPHERTEXT], bytes):
        raise ValueError(f"Sign1 unprotected bucket must be exactly {{{LABEL_DETACHED_CIPHERTEXT}: bstr}}, "
                         f"not labels {sorted(unprotected, key=str)}")
    ciphertext = unprotected[LABEL_DETACHED_CIPHERTEXT]
    inner = cbor2.loads(inner_message)
    if not isinstance(inner, cbor2.CBORTag) or inner.tag != COSE_ENCRYPT_TAG or len(inner.value) != 4:
        raise ValueError("Sign1 payload is not a tagged four-element COSE_Encrypt")
    inner_unprotected, inner_ciphertext = inner.value[1], inner.value[2]
    if inner_ciphertext is not None:
        raise ValueError("COSE_Encrypt ciphertext is attached (not nil) in a content type 96 envelope")
    digest = inner_unprotected.get(LABEL_CIPHERTEXT_DIGEST) if isinstance(inner_unprotected, dict) else None
    if not isinstance(digest, list) or len(digest) != 2 or not isinstance(digest[1], bytes):
        raise ValueError(f"COSE_Encrypt ciphertext digest (label {LABEL_CIPHERTEXT_DIGEST}) missing or malformed: {digest!r}")
    if type(digest[0]) is not int or digest[0] != HASH_SHA256 or len(digest[1]) != 32:
        raise ValueError(f"ciphertext digest must be [{HASH_SHA256}, 32-byte SHA-256], not alg {digest[0]!r}, "
                         f"{len(digest[1])} bytes")
    if not hmac.compare_digest(hashlib.sha256(ciphertext).digest(), digest[1]):
        raise Rejected("detached ciphertext does not match the signed SHA-256 digest")
    return ciphertext


def verify_envelope(case):
    """Ward sealed envelope: verify the outer Sign1, rebuild the inner external AAD from the
    signed protected bytes, for content type 96 check the detached ciphertext against the
    signed digest, decrypt the inner message, check the key commitment."""
    signer = case["signer"]
    message = unhex(case["message"])
    outer = verify_sign1(message, signer["alg"], unhex(signer["publicKey"]), b"")
    unprotected = sign1_unprotected(message)
    protected_bytes = outer.phdr_encoded
    header = cbor2.loads(protected_bytes)
    aad = cbor2.dumps([SEAL_CONTEXT, protected_bytes])
    reader = case["reader"]
    facts = {
        "contentType": header.get(3),
        "kid": header.get(4).hex() if isinstance(header.get(4), bytes) else None,
        "issuer": header.get(LABEL_CWT_CLAIMS, {}).get(1),
        "sequence": header.get(LABEL_CWT_CLAIMS, {}).get(CLAIM_SEQUENCE),
        "classification": header.get(LABEL_ATTRIBUTES, {}).get(1),
        "externalAad": aad.hex(),
    }
    if header.get(3) == CONTENT_FORMAT["encrypt0"]:
        if unprotected:
            raise ValueError(f"Sign1 unprotected bucket must be empty for content type 16, has {sorted(unprotected, key=str)}")
        plaintext = decrypt_encrypt0(outer.payload, unhex(reader["key"]), aad)
    elif header.get(3) == CONTENT_FORMAT["encrypt"]:
        ciphertext = check_detached_ciphertext(unprotected, outer.payload)
        facts["ciphertextDigestMatches"] = True
        facts["detachedCiphertextLength"] = len(ciphertext)
        plaintext, cek = open_encrypt(outer.payload, reader["recipient"], aad, detached_ciphertext=ciphertext)
        commitment = commit(cek)
        facts["keyCommitmentMatches"] = commitment == header.get(LABEL_KEY_COMMITMENT)
        if not facts["keyCommitmentMatches"]:
            raise Rejected("content key does not match the signed commitment")
    else:
        raise ValueError(f"content type {header.get(3)} is not 16 or 96")
    return {"payload": plaintext.hex(), "headers": facts}


def commit(cek):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=COMMITMENT_INFO).derive(cek)


# ----------------------------------------------------------------------------------------
# pycose → Ward: produce
# ----------------------------------------------------------------------------------------

def produce_sign1(case):
    key, public = signing_key(case["alg"], unhex(case["privateKey"]))
    phdr = {headers.Algorithm: SIGNATURE_ALGS[case["alg"]]}
    if case.get("kid"):
        phdr[headers.KID] = unhex(case["kid"])
    msg = Sign1Message(phdr=phdr, payload=unhex(case["payload"]), external_aad=unhex(case.get("externalAad")), key=key)
    return {"message": msg.encode().hex(), "publicKey": public.hex()}


def produce_mac0(case):
    phdr = {headers.Algorithm: algorithms.HMAC256}
    if case.get("kid"):
        phdr[headers.KID] = unhex(case["kid"])
    msg = Mac0Message(phdr=phdr, payload=unhex(case["payload"]), external_aad=unhex(case.get("externalAad")),
                      key=SymmetricKey(k=unhex(case["key"])))
    return {"message": msg.encode().hex()}


def encrypt0_message(alg, key_raw, kid, payload, external_aad):
    phdr = {headers.Algorithm: CONTENT_ALGS[alg]}
    if kid:
        phdr[headers.KID] = kid
    msg = Enc0Message(phdr=phdr, uhdr={headers.IV: os.urandom(12)}, payload=payload, external_aad=external_aad,
                      key=SymmetricKey(k=key_raw))
    return msg.encode()


def produce_encrypt0(case):
    return {"message": encrypt0_message(case["alg"], unhex(case["key"]), unhex(case.get("kid")),
                                        unhex(case["payload"]), unhex(case.get("externalAad"))).hex()}


def make_recipient(spec, cek):
    kind = spec["kind"]
    uhdr = {headers.KID: unhex(spec["kid"])} if spec.get("kid") else {}
    if kind in KEY_WRAP_ALGS:
        r = KeyWrap(uhdr={headers.Algorithm: KEY_WRAP_ALGS[kind], **uhdr})
        r.key = SymmetricKey(k=unhex(spec["kek"]))
        r.payload = cek
        return r
    static = agreement_public_key(spec["curve"], unhex(spec["publicKey"]))
    if kind == "ECDH-ES+A256KW":
        r = KeyAgreementWithKeyWrap(phdr={headers.Algorithm: algorithms.EcdhEsA256KW}, uhdr=uhdr)
        r.local_attrs = {headers.StaticKey: static}
        r.payload = cek
        return r
    if kind == "ECDH-ES+HKDF-256":
        r = DirectKeyAgreement(phdr={headers.Algorithm: algorithms.EcdhEsHKDF256}, uhdr=uhdr)
        r.local_attrs = {headers.StaticKey: static}
        # pycose derives the CEK before it encodes (and so before it makes an ephemeral
        # key): set up the ephemeral key the way its own encode() would.
        r.key = EC2Key.generate_key(static.crv)
        r.uhdr_update({headers.EphemeralKey: EC2Key(crv=static.crv, x=r.key.x, y=r.key.y)})
        return r
    raise ValueError(f"unknown recipient kind {kind}")


def encrypt_message(content_alg, recipients, payload, external_aad, cek=None):
    alg = algorithms.CoseAlgorithm.from_id(CONTENT_ALGS[content_alg])
    if cek is None:
        cek = os.urandom(alg.get_key_length())
    msg = EncMessage(phdr={headers.Algorithm: alg}, uhdr={headers.IV: os.urandom(12)}, payload=payload,
                     external_aad=external_aad, recipients=[make_recipient(r, cek) for r in recipients])
    return msg.encode()


def produce_encrypt(case):
    return {"message": encrypt_message(case["contentAlg"], case["recipients"], unhex(case["payload"]),
                                       unhex(case.get("externalAad"))).hex()}


def detach_ciphertext(encrypt_message_bytes):
    """pycose's (attached) COSE_Encrypt → (detached COSE_Encrypt, ciphertext): nil ciphertext,
    [-16, SHA-256(ciphertext)] added to the unprotected bucket, deterministic CBOR. The
    protected bucket and the recipients are carried over as they are (so the AEAD, whose
    Enc_structure covers the protected bytes, is unaffected)."""
    decoded = cbor2.loads(encrypt_message_bytes)
    if not isinstance(decoded, cbor2.CBORTag) or decoded.tag != COSE_ENCRYPT_TAG:
        raise ValueError("pycose did not produce a tagged COSE_Encrypt")
    protected, unprotected, ciphertext, recipients = decoded.value
    unprotected = dict(unprotected)
    unprotected[LABEL_CIPHERTEXT_DIGEST] = [HASH_SHA256, hashlib.sha256(ciphertext).digest()]
    return deterministic_dumps(cbor2.CBORTag(COSE_ENCRYPT_TAG, [protected, unprotected, None, recipients])), ciphertext


def produce_envelope(case):
    """A Ward sealed envelope built from SPEC.md with pycose: signed protected header with
    CWT claims, access attributes and (for COSE_Encrypt) the key commitment; the inner
    message's external AAD binds those signed bytes. For COSE_Encrypt (content type 96) the
    ciphertext is detached into the Sign1's unprotected header, its digest signed inside."""
    signer = case["signer"]
    claims = case["claims"]
    attributes = case["attributes"]
    encryption = case["encryption"]
    payload = unhex(case["payload"])
    key, public = signing_key(signer["alg"], unhex(signer["privateKey"]))
    header = {
        1: SIGNATURE_ALGS[signer["alg"]].identifier,
        3: CONTENT_FORMAT[encryption["kind"]],
        4: unhex(signer["kid"]),
        LABEL_CWT_CLAIMS: {1: claims["issuer"], 2: claims["subject"], 6: claims["issuedAt"],
                           7: unhex(claims["id"]), CLAIM_SEQUENCE: claims["sequence"]},
        LABEL_ATTRIBUTES: {1: attributes["classification"], 2: attributes["zone"], 3: attributes["purpose"]},
    }
    cek = None
    if encryption["kind"] == "encrypt":
        content = algorithms.CoseAlgorithm.from_id(CONTENT_ALGS[encryption["contentAlg"]])
        cek = os.urandom(content.get_key_length())
        header[LABEL_KEY_COMMITMENT] = commit(cek)
    protected_bytes = cbor2.dumps(header, canonical=True)
    aad = cbor2.dumps([SEAL_CONTEXT, protected_bytes])
    unprotected = {}
    if encryption["kind"] == "encrypt0":
        inner = encrypt0_message(encryption["alg"], unhex(encryption["key"]), unhex(encryption["kid"]), payload, aad)
    else:
        inner, ciphertext = detach_ciphertext(
            encrypt_message(encryption["contentAlg"], encryption["recipients"], payload, aad, cek))
        unprotected[LABEL_DETACHED_CIPHERTEXT] = ciphertext
    outer = Sign1Message(phdr_encoded=protected_bytes, uhdr=unprotected, payload=inner, key=key)
    return {"message": outer.encode().hex(), "publicKey": public.hex()}


# ----------------------------------------------------------------------------------------

def verify_case(case):
    kind = case["kind"]
    if kind == "sign1":
        msg = verify_sign1(unhex(case["message"]), case["alg"], unhex(case["publicKey"]), unhex(case.get("externalAad")))
        return {"payload": msg.payload.hex()}
    if kind == "mac0":
        return verify_mac0(case)
    if kind == "encrypt0":
        return {"payload": decrypt_encrypt0(unhex(case["message"]), unhex(case["key"]), unhex(case.get("externalAad")),
                                            case["alg"]).hex()}
    if kind == "encrypt":
        plaintext, _ = open_encrypt(unhex(case["message"]), case["recipient"], unhex(case.get("externalAad")),
                                    case["contentAlg"])
        return {"payload": plaintext.hex()}
    if kind == "envelope":
        return verify_envelope(case)
    raise ValueError(f"unknown kind {kind}")


PRODUCERS = {"sign1": produce_sign1, "mac0": produce_mac0, "encrypt0": produce_encrypt0,
             "encrypt": produce_encrypt, "envelope": produce_envelope}


def run(case):
    result = {"id": case["id"], "op": case["op"], "kind": case["kind"]}
    missing = needs_unsupported(case)
    try:
        if case["op"] == "verify":
            result.update(verify_case(case))
        elif case["op"] == "produce":
            result.update(PRODUCERS[case["kind"]](case))
        else:
            raise ValueError(f"unknown op {case['op']}")
        result["status"] = "ok"
        if missing:
            result["note"] = "expected unsupported, but pycose managed: " + ", ".join(missing)
    except (Rejected, InvalidTag, InvalidUnwrap) as failure:
        result["status"] = "rejected"
        result["error"] = f"{type(failure).__name__}: {failure}"
    except Exception as failure:  # noqa: BLE001 - every failure is reported, none is fatal
        result["status"] = "unsupported" if missing else "error"
        result["error"] = f"{type(failure).__name__}: {failure}"
        if missing:
            result["unsupported"] = missing
    return result


def main(argv):
    if len(argv) != 3:
        print("usage: interop.py job.json result.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        job = json.load(f)
    out = {
        "peer": "pycose",
        "library": "pycose",
        "version": package_version("pycose"),
        "cbor2": package_version("cbor2"),
        "cryptography": package_version("cryptography"),
        "python": sys.version.split()[0],
        "capabilities": {k: sorted(v) for k, v in CAPABILITIES.items()},
        "results": [run(case) for case in job["cases"]],
    }
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

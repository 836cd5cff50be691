// Command ward-interop-go is the go-cose side of Ward's interoperability test
// (packages/node/src/interop.test.ts): it reads a JSON job file, runs every case
// with github.com/veraison/go-cose, and writes a JSON result file.
//
//	ward-interop-go job.json result.json
//
// Cases (see interop/README.md for the whole protocol):
//
//	{"id": "...", "op": "verify",  "kind": "sign1", "alg": "EdDSA"|"ES256",
//	 "message": hex, "publicKey": hex, "externalAad": hex}
//	{"id": "...", "op": "produce", "kind": "sign1", "alg": "EdDSA"|"ES256",
//	 "privateKey": hex, "payload": hex, "externalAad": hex, "kid": hex}
//	{"id": "...", "op": "verify",  "kind": "envelope", "alg": "EdDSA"|"ES256",
//	 "message": hex, "publicKey": hex}
//
// "envelope" is a Ward sealed envelope: go-cose verifies its outer COSE_Sign1
// (as for "sign1"); then this program checks Ward's detached-ciphertext layout
// itself with fxamacker/cbor (go-cose has no COSE_Encrypt): for content type 96
// the Sign1 unprotected bucket is exactly {-65540: bstr} (the ciphertext), the
// signed COSE_Encrypt has a nil ciphertext and {-65541: [-16, SHA-256 digest]}
// in its unprotected bucket, and SHA-256(ciphertext) equals that digest; for
// content type 16 the Sign1 unprotected bucket is empty. Nothing is decrypted.
//
// Keys are raw: Ed25519 32-byte seed / 32-byte public key; P-256 32-byte
// big-endian scalar / 65-byte uncompressed SEC1 point (as Ward's exportKey).
//
// Every result has a status: "ok", "rejected" (the signature did not verify:
// go-cose returned ErrVerification, or an envelope's detached ciphertext does
// not match its signed digest), "unsupported" (go-cose has no such
// message type or algorithm) or "error" (anything else: malformed input,
// header rules, wrong key).
//
// go-cose implements COSE_Sign1 and COSE_Sign (and countersignatures) only:
// it has no COSE_Mac0/Mac, COSE_Encrypt0/Encrypt, nor key agreement, so those
// kinds are answered "unsupported".
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256" // also links SHA-256 in for ES256 (go-cose does not import hashes itself)
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"runtime/debug"
	"sort"
	"strconv"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

const goCosePath = "github.com/veraison/go-cose"

// Ward's sealed-envelope profile, content type 96 (detached ciphertext).
const (
	contentTypeEncrypt0     = 16
	contentTypeEncrypt      = 96
	labelDetachedCiphertext = -65540 // Sign1 unprotected: the COSE_Encrypt's AEAD ciphertext
	labelCiphertextDigest   = -65541 // COSE_Encrypt unprotected: [hash alg, digest]
	hashSHA256              = -16    // COSE algorithm SHA-256 (RFC 9054)
	tagSign1                = 18
	tagEncrypt              = 96
)

// errDigestMismatch is a failed cryptographic check: reported "rejected".
var errDigestMismatch = errors.New("detached ciphertext does not match the signed SHA-256 digest")

// strict decodes Ward's structures independently of go-cose: duplicate map
// keys are refused. coreDeterministic re-encodes a map in RFC 8949 §4.2.1
// order (bytewise order of the encoded keys), to check Ward wrote it so.
var (
	strict            = mustDecMode(cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF})
	coreDeterministic = mustEncMode(cbor.EncOptions{Sort: cbor.SortCoreDeterministic})
)

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

type job struct {
	Cases []jobCase `json:"cases"`
}

type jobCase struct {
	ID          string `json:"id"`
	Op          string `json:"op"`
	Kind        string `json:"kind"`
	Alg         string `json:"alg"`
	Message     string `json:"message"`
	PublicKey   string `json:"publicKey"`
	PrivateKey  string `json:"privateKey"`
	Payload     string `json:"payload"`
	ExternalAad string `json:"externalAad"`
	Kid         string `json:"kid"`
}

type caseResult struct {
	ID        string         `json:"id"`
	Op        string         `json:"op"`
	Kind      string         `json:"kind"`
	Status    string         `json:"status"`
	Payload   *string        `json:"payload,omitempty"` // present (possibly "") only when verified
	Message   string         `json:"message,omitempty"`
	PublicKey string         `json:"publicKey,omitempty"`
	Headers   map[string]any `json:"headers,omitempty"`
	Error     string         `json:"error,omitempty"`
}

type result struct {
	Peer      string       `json:"peer"`
	Library   string       `json:"library"`
	Version   string       `json:"version"`
	GoVersion string       `json:"goVersion"`
	Results   []caseResult `json:"results"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ward-interop-go job.json result.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var j job
	if err := json.Unmarshal(raw, &j); err != nil {
		fail(fmt.Errorf("job file: %w", err))
	}
	out := result{Peer: "go-cose", Library: goCosePath, Version: libraryVersion(), GoVersion: goVersion()}
	for _, c := range j.Cases {
		out.Results = append(out.Results, run(c))
	}
	encoded, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(os.Args[2], append(encoded, '\n'), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ward-interop-go:", err)
	os.Exit(1)
}

func libraryVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == goCosePath {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func goVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.GoVersion
	}
	return "unknown"
}

func run(c jobCase) (r caseResult) {
	r = caseResult{ID: c.ID, Op: c.Op, Kind: c.Kind}
	defer func() {
		if p := recover(); p != nil {
			r.Status, r.Error = "error", fmt.Sprintf("panic: %v", p)
		}
	}()
	if c.Kind != "sign1" && c.Kind != "envelope" {
		r.Status, r.Error = "unsupported", fmt.Sprintf("go-cose has no %s (it implements COSE_Sign1 and COSE_Sign only)", c.Kind)
		return r
	}
	alg, err := algorithm(c.Alg)
	if err != nil {
		r.Status, r.Error = "unsupported", err.Error()
		return r
	}
	switch {
	case c.Op == "verify" && c.Kind == "sign1":
		err = verify(c, alg, &r)
	case c.Op == "verify" && c.Kind == "envelope":
		err = verifyEnvelope(c, alg, &r)
	case c.Op == "produce" && c.Kind == "sign1":
		err = produce(c, alg, &r)
	default:
		err = fmt.Errorf("unknown op %q for kind %q", c.Op, c.Kind)
	}
	switch {
	case err == nil:
		r.Status = "ok"
	case errors.Is(err, cose.ErrVerification), errors.Is(err, errDigestMismatch):
		r.Status, r.Error = "rejected", err.Error()
	default:
		r.Status, r.Error = "error", err.Error()
	}
	return r
}

func algorithm(name string) (cose.Algorithm, error) {
	switch name {
	case "EdDSA":
		return cose.AlgorithmEdDSA, nil
	case "ES256":
		return cose.AlgorithmES256, nil
	}
	return 0, fmt.Errorf("algorithm %q is not part of this interop profile", name)
}

func unhex(name, value string) ([]byte, error) {
	b, err := hex.DecodeString(value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// verify decodes a tagged COSE_Sign1 with go-cose, verifies it with the given
// public key and external AAD, and reports the payload and decoded headers.
// go-cose itself checks that the protected alg equals the verifier's.
func verify(c jobCase, alg cose.Algorithm, r *caseResult) error {
	msg, _, err := verifySign1(c, alg, r)
	if err != nil {
		return err
	}
	payload := hex.EncodeToString(msg.Payload)
	r.Payload = &payload
	return nil
}

// verifySign1 is verify without reporting the payload: the verified message
// and its encoded form.
func verifySign1(c jobCase, alg cose.Algorithm, r *caseResult) (*cose.Sign1Message, []byte, error) {
	message, err := unhex("message", c.Message)
	if err != nil {
		return nil, nil, err
	}
	aad, err := unhex("externalAad", c.ExternalAad)
	if err != nil {
		return nil, nil, err
	}
	rawPublic, err := unhex("publicKey", c.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	public, err := publicKey(alg, rawPublic)
	if err != nil {
		return nil, nil, err
	}
	verifier, err := cose.NewVerifier(alg, public)
	if err != nil {
		return nil, nil, err
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(message); err != nil {
		return nil, nil, fmt.Errorf("decode: %w", err)
	}
	r.Headers = describeHeader(msg.Headers.Protected)
	r.Headers["unprotectedLabels"] = labelsOf(msg.Headers.Unprotected)
	if err := msg.Verify(aad, verifier); err != nil {
		return nil, nil, err
	}
	return &msg, message, nil
}

// verifyEnvelope verifies a Ward sealed envelope's outer COSE_Sign1 with
// go-cose, then checks the detached-ciphertext layout and digest (content
// type 96) or the empty unprotected bucket (content type 16) with
// fxamacker/cbor. It reports the Sign1 payload (the inner COSE message) only
// when everything holds; a digest mismatch is errDigestMismatch ("rejected").
func verifyEnvelope(c jobCase, alg cose.Algorithm, r *caseResult) error {
	msg, message, err := verifySign1(c, alg, r)
	if err != nil {
		return err
	}
	unprotected, err := sign1Unprotected(message)
	if err != nil {
		return err
	}
	contentType, ok := asInt64(msg.Headers.Protected[cose.HeaderLabelContentType])
	switch {
	case ok && contentType == contentTypeEncrypt0:
		if len(unprotected) != 0 {
			return fmt.Errorf("content type 16: the Sign1 unprotected bucket must be empty, it has %d entries", len(unprotected))
		}
	case ok && contentType == contentTypeEncrypt:
		if err := checkDetachedCiphertext(unprotected, msg.Payload, r.Headers); err != nil {
			return err
		}
	default:
		return fmt.Errorf("content type %v is not 16 or 96", msg.Headers.Protected[cose.HeaderLabelContentType])
	}
	payload := hex.EncodeToString(msg.Payload)
	r.Payload = &payload
	return nil
}

// sign1Unprotected decodes the unprotected bucket of a tagged COSE_Sign1 with
// fxamacker/cbor (labels must be integers: Ward uses no text labels).
func sign1Unprotected(message []byte) (map[int64]cbor.RawMessage, error) {
	fields, err := taggedArray(message, tagSign1, 4, "COSE_Sign1")
	if err != nil {
		return nil, err
	}
	var unprotected map[int64]cbor.RawMessage
	if err := strict.Unmarshal(fields[1], &unprotected); err != nil {
		return nil, fmt.Errorf("Sign1 unprotected bucket: %w", err)
	}
	return unprotected, nil
}

// checkDetachedCiphertext: the Sign1 unprotected bucket is exactly
// {-65540: bstr}; the signed COSE_Encrypt (inner) has a nil ciphertext and
// {-65541: [-16, 32-byte digest]}, written in deterministic order; the digest
// is SHA-256 of the detached ciphertext (compared in constant time).
func checkDetachedCiphertext(unprotected map[int64]cbor.RawMessage, inner []byte, report map[string]any) error {
	rawCiphertext, ok := unprotected[labelDetachedCiphertext]
	if !ok || len(unprotected) != 1 {
		return fmt.Errorf("content type 96: the Sign1 unprotected bucket must be exactly {%d: bstr}, it has labels %v",
			labelDetachedCiphertext, labelsOf(unprotected))
	}
	ciphertext, err := byteString(rawCiphertext, "detached ciphertext")
	if err != nil {
		return err
	}
	fields, err := taggedArray(inner, tagEncrypt, 4, "COSE_Encrypt")
	if err != nil {
		return fmt.Errorf("Sign1 payload: %w", err)
	}
	if !bytes.Equal(fields[2], []byte{0xf6}) {
		return errors.New("content type 96: the COSE_Encrypt ciphertext must be nil (detached), it is attached")
	}
	var innerUnprotected map[int64]cbor.RawMessage
	if err := strict.Unmarshal(fields[1], &innerUnprotected); err != nil {
		return fmt.Errorf("COSE_Encrypt unprotected bucket: %w", err)
	}
	canonical, err := coreDeterministic.Marshal(innerUnprotected)
	if err != nil {
		return err
	}
	rawDigest, ok := innerUnprotected[labelCiphertextDigest]
	if !ok {
		return fmt.Errorf("COSE_Encrypt unprotected bucket has no ciphertext digest (label %d)", labelCiphertextDigest)
	}
	var digestFields []cbor.RawMessage
	if err := strict.Unmarshal(rawDigest, &digestFields); err != nil || len(digestFields) != 2 {
		return fmt.Errorf("ciphertext digest must be [hash alg, bstr] (err %v)", err)
	}
	var hashAlg int64
	if len(digestFields[0]) == 0 || digestFields[0][0]>>5 > 1 { // major type 0 or 1: an integer
		return errors.New("ciphertext digest: the hash algorithm is not an integer")
	}
	if err := strict.Unmarshal(digestFields[0], &hashAlg); err != nil || hashAlg != hashSHA256 {
		return fmt.Errorf("ciphertext digest: hash algorithm %d is not SHA-256 (%d) (err %v)", hashAlg, hashSHA256, err)
	}
	digest, err := byteString(digestFields[1], "ciphertext digest")
	if err != nil {
		return err
	}
	if len(digest) != sha256.Size {
		return fmt.Errorf("ciphertext digest is %d bytes, not %d", len(digest), sha256.Size)
	}
	report["detachedCiphertextLength"] = len(ciphertext)
	report["innerCiphertextNil"] = true
	report["innerUnprotectedLabels"] = labelsOf(innerUnprotected)
	report["innerUnprotectedDeterministic"] = bytes.Equal(canonical, fields[1])
	report["digestAlg"] = hashAlg
	computed := sha256.Sum256(ciphertext)
	if subtle.ConstantTimeCompare(computed[:], digest) != 1 {
		report["ciphertextDigestMatches"] = false
		return errDigestMismatch
	}
	report["ciphertextDigestMatches"] = true
	return nil
}

// taggedArray decodes CBOR tag `tag` holding an array of n elements.
func taggedArray(data []byte, tag uint64, n int, what string) ([]cbor.RawMessage, error) {
	var tagged cbor.RawTag
	if err := strict.Unmarshal(data, &tagged); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if tagged.Number != tag {
		return nil, fmt.Errorf("%s: tag %d, not %d", what, tagged.Number, tag)
	}
	var fields []cbor.RawMessage
	if err := strict.Unmarshal(tagged.Content, &fields); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(fields) != n {
		return nil, fmt.Errorf("%s: %d elements, not %d", what, len(fields), n)
	}
	return fields, nil
}

// byteString decodes a CBOR byte string (major type 2 only: a text string is refused).
func byteString(raw cbor.RawMessage, what string) ([]byte, error) {
	if len(raw) == 0 || raw[0]>>5 != 2 {
		return nil, fmt.Errorf("%s is not a byte string", what)
	}
	var b []byte
	if err := strict.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, nil
}

func asInt64(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case uint64:
		if t <= 1<<62 {
			return int64(t), true
		}
	case int:
		return int64(t), true
	}
	return 0, false
}

// labelsOf lists a header map's labels as sorted strings.
func labelsOf[K comparable, V any](h map[K]V) []string {
	labels := []string{}
	for label := range h {
		labels = append(labels, fmt.Sprint(label))
	}
	sort.Strings(labels)
	return labels
}

// produce signs a tagged COSE_Sign1 with go-cose: protected {alg, kid},
// empty unprotected bucket, embedded payload.
func produce(c jobCase, alg cose.Algorithm, r *caseResult) error {
	payload, err := unhex("payload", c.Payload)
	if err != nil {
		return err
	}
	aad, err := unhex("externalAad", c.ExternalAad)
	if err != nil {
		return err
	}
	kid, err := unhex("kid", c.Kid)
	if err != nil {
		return err
	}
	rawPrivate, err := unhex("privateKey", c.PrivateKey)
	if err != nil {
		return err
	}
	private, rawPublic, err := privateKey(alg, rawPrivate)
	if err != nil {
		return err
	}
	signer, err := cose.NewSigner(alg, private)
	if err != nil {
		return err
	}
	headers := cose.Headers{Protected: cose.ProtectedHeader{cose.HeaderLabelAlgorithm: alg}}
	if len(kid) > 0 {
		headers.Protected[cose.HeaderLabelKeyID] = kid
	}
	message, err := cose.Sign1(rand.Reader, signer, headers, payload, aad)
	if err != nil {
		return err
	}
	r.Message = hex.EncodeToString(message)
	r.PublicKey = hex.EncodeToString(rawPublic)
	return nil
}

func publicKey(alg cose.Algorithm, raw []byte) (crypto.PublicKey, error) {
	if alg == cose.AlgorithmEdDSA {
		if len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 public key must be %d bytes", ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(raw), nil
	}
	// crypto/ecdh checks the point is on the curve.
	if _, err := ecdh.P256().NewPublicKey(raw); err != nil {
		return nil, fmt.Errorf("P-256 public key: %w", err)
	}
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(raw[1:33]), Y: new(big.Int).SetBytes(raw[33:65])}, nil
}

func privateKey(alg cose.Algorithm, raw []byte) (crypto.Signer, []byte, error) {
	if alg == cose.AlgorithmEdDSA {
		if len(raw) != ed25519.SeedSize {
			return nil, nil, fmt.Errorf("Ed25519 seed must be %d bytes", ed25519.SeedSize)
		}
		key := ed25519.NewKeyFromSeed(raw)
		return key, []byte(key.Public().(ed25519.PublicKey)), nil
	}
	// crypto/ecdh checks the scalar is in [1, n-1] and computes the public point.
	ek, err := ecdh.P256().NewPrivateKey(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("P-256 private key: %w", err)
	}
	point := ek.PublicKey().Bytes()
	key := &ecdsa.PrivateKey{
		PublicKey: ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(point[1:33]), Y: new(big.Int).SetBytes(point[33:65])},
		D:         new(big.Int).SetBytes(raw),
	}
	return key, point, nil
}

// describeHeader turns the protected header go-cose decoded into JSON: the
// labels it holds, and alg, kid, content type (3) and CWT claims (15) as
// go-cose typed them. Byte strings are written h'hex'.
func describeHeader(h cose.ProtectedHeader) map[string]any {
	out := map[string]any{}
	out["labels"] = labelsOf(h)
	if alg, err := h.Algorithm(); err == nil {
		out["alg"] = int64(alg)
	}
	if kid, ok := h[cose.HeaderLabelKeyID]; ok {
		out["kid"] = jsonValue(kid)
	}
	if contentType, ok := h[cose.HeaderLabelContentType]; ok {
		out["contentType"] = jsonValue(contentType)
	}
	if claims, ok := h[cose.HeaderLabelCWTClaims]; ok {
		out["cwtClaims"] = jsonValue(claims)
	}
	return out
}

func jsonValue(v any) any {
	switch t := v.(type) {
	case []byte:
		return "h'" + hex.EncodeToString(t) + "'"
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, val := range t {
			m[fmt.Sprint(k)] = jsonValue(val)
		}
		return m
	case cose.CWTClaims:
		return jsonValue(map[any]any(t))
	case []any:
		a := make([]any, len(t))
		for i, val := range t {
			a[i] = jsonValue(val)
		}
		return a
	case int64:
		return t
	case uint64:
		return strconv.FormatUint(t, 10)
	case string, bool, nil:
		return t
	default:
		return fmt.Sprintf("%v (%T)", t, t)
	}
}

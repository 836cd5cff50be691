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
//
// Keys are raw: Ed25519 32-byte seed / 32-byte public key; P-256 32-byte
// big-endian scalar / 65-byte uncompressed SEC1 point (as Ward's exportKey).
//
// Every result has a status: "ok", "rejected" (the signature did not verify:
// go-cose returned ErrVerification), "unsupported" (go-cose has no such
// message type or algorithm) or "error" (anything else: malformed input,
// header rules, wrong key).
//
// go-cose implements COSE_Sign1 and COSE_Sign (and countersignatures) only:
// it has no COSE_Mac0/Mac, COSE_Encrypt0/Encrypt, nor key agreement, so those
// kinds are answered "unsupported".
package main

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	_ "crypto/sha256" // ES256 needs SHA-256 linked in (go-cose does not import hashes itself)
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"runtime/debug"
	"sort"
	"strconv"

	"github.com/veraison/go-cose"
)

const goCosePath = "github.com/veraison/go-cose"

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
	if c.Kind != "sign1" {
		r.Status, r.Error = "unsupported", fmt.Sprintf("go-cose has no %s (it implements COSE_Sign1 and COSE_Sign only)", c.Kind)
		return r
	}
	alg, err := algorithm(c.Alg)
	if err != nil {
		r.Status, r.Error = "unsupported", err.Error()
		return r
	}
	switch c.Op {
	case "verify":
		err = verify(c, alg, &r)
	case "produce":
		err = produce(c, alg, &r)
	default:
		err = fmt.Errorf("unknown op %q", c.Op)
	}
	switch {
	case err == nil:
		r.Status = "ok"
	case errors.Is(err, cose.ErrVerification):
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
// public key and external AAD, and reports the payload and decoded protected
// header. go-cose itself checks that the protected alg equals the verifier's.
func verify(c jobCase, alg cose.Algorithm, r *caseResult) error {
	message, err := unhex("message", c.Message)
	if err != nil {
		return err
	}
	aad, err := unhex("externalAad", c.ExternalAad)
	if err != nil {
		return err
	}
	rawPublic, err := unhex("publicKey", c.PublicKey)
	if err != nil {
		return err
	}
	public, err := publicKey(alg, rawPublic)
	if err != nil {
		return err
	}
	verifier, err := cose.NewVerifier(alg, public)
	if err != nil {
		return err
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(message); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	r.Headers = describeHeader(msg.Headers.Protected)
	if err := msg.Verify(aad, verifier); err != nil {
		return err
	}
	payload := hex.EncodeToString(msg.Payload)
	r.Payload = &payload
	return nil
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
	labels := []string{}
	for label := range h {
		labels = append(labels, fmt.Sprint(label))
	}
	sort.Strings(labels)
	out["labels"] = labels
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

package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// An API token reads "sluice_<id>_<secret>": the prefix lets secret
// scanners recognise leaked tokens, the 16 hex digits of the id find the
// record, and the secret is 32 random bytes in unpadded base64url. Only a
// SHA-256 of the whole token is stored: the secret has 256 bits of
// entropy, so a slow hash would add nothing but latency.
const (
	tokenPrefix    = "sluice_"
	tokenIDLen     = 16
	tokenSecretLen = 43 // base64url of 32 bytes, unpadded
	tokenLen       = len(tokenPrefix) + tokenIDLen + 1 + tokenSecretLen
)

// newToken returns a fresh token, its id and the digest to store.
func newToken() (token, id, digest string, err error) {
	raw := make([]byte, tokenIDLen/2+32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", "", err
	}
	id = hex.EncodeToString(raw[:tokenIDLen/2])
	token = tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(raw[tokenIDLen/2:])
	return token, id, tokenDigest(token), nil
}

// parseToken returns the id of a well-formed token.
func parseToken(token string) (id string, ok bool) {
	if len(token) != tokenLen || !strings.HasPrefix(token, tokenPrefix) || token[len(tokenPrefix)+tokenIDLen] != '_' {
		return "", false
	}
	id = token[len(tokenPrefix) : len(tokenPrefix)+tokenIDLen]
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token[len(tokenPrefix)+tokenIDLen+1:]); err != nil {
		return "", false
	}
	return id, true
}

func tokenDigest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// digestMatches compares a token with a stored digest in constant time.
func digestMatches(token, digest string) bool {
	return subtle.ConstantTimeCompare([]byte(tokenDigest(token)), []byte(digest)) == 1
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// User is an account.
type User struct {
	Name         string
	Role         string
	PasswordHash string // argon2id, PHC string format
	CreatedAt    time.Time
	DisabledAt   time.Time // zero while the account is enabled
}

// Token is an API token's record; the secret itself is never stored.
type Token struct {
	ID           string
	SecretSHA256 string
	// User is the account the token acts for; Publisher the trusted
	// publisher that minted it. Exactly one is set.
	User      string
	Publisher string
	// Projects limits the token to these normalised names; nil means any.
	Projects  []string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
}

// CreateUser records a new account, or returns ErrExists.
func (s *DB) CreateUser(ctx context.Context, u User) error {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO users (name, role, password_hash, created_at, disabled_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`), u.Name, u.Role, u.PasswordHash, micros(u.CreatedAt), micros(u.DisabledAt))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s: %w", u.Name, ErrExists)
	}
	return nil
}

const userColumns = `name, role, password_hash, created_at, disabled_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, disabled int64
	err := sc.Scan(&u.Name, &u.Role, &u.PasswordHash, &created, &disabled)
	u.CreatedAt, u.DisabledAt = fromMicros(created), fromMicros(disabled)
	return u, err
}

// UserByName returns an account, or ErrNotFound.
func (s *DB) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	return u, err
}

// Users returns every account, by name.
func (s *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// SetUserDisabled disables (at a non-zero time) or re-enables an account.
func (s *DB) SetUserDisabled(ctx context.Context, name string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE users SET disabled_at = ? WHERE name = ?`), micros(at), name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetUserPassword replaces an account's password hash.
func (s *DB) SetUserPassword(ctx context.Context, name, hash string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE name = ?`), hash, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// CreateToken records a token, or returns ErrExists if its ID is taken.
func (s *DB) CreateToken(ctx context.Context, t Token) error {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`),
		t.ID, t.SecretSHA256, t.User, t.Publisher, strings.Join(t.Projects, ","), micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.RevokedAt))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %s: %w", t.ID, ErrExists)
	}
	return nil
}

const tokenColumns = `id, secret_sha256, user_name, publisher, projects, created_at, expires_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var projects string
	var created, expires, revoked int64
	err := sc.Scan(&t.ID, &t.SecretSHA256, &t.User, &t.Publisher, &projects, &created, &expires, &revoked)
	if projects != "" {
		t.Projects = strings.Split(projects, ",")
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMicros(created), fromMicros(expires), fromMicros(revoked)
	return t, err
}

// TokenByID returns a token's record, or ErrNotFound.
func (s *DB) TokenByID(ctx context.Context, id string) (Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, s.q(`SELECT `+tokenColumns+` FROM tokens WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	return t, err
}

// Tokens returns the tokens of an account (every account's when user is
// ""), oldest first. Tokens minted by trusted publishers are not listed.
func (s *DB) Tokens(ctx context.Context, user string) ([]Token, error) {
	query, args := `SELECT `+tokenColumns+` FROM tokens WHERE publisher = ''`, []any{}
	if user != "" {
		query, args = query+` AND user_name = ?`, append(args, user)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY created_at, id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tokens []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, t)
	}
	return tokens, rows.Err()
}

// RevokeToken marks a token revoked; revoking it again keeps the first time.
func (s *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ?`), micros(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeletePublisherTokens removes tokens minted by trusted publishers that
// expired before the given time; they are short-lived and many.
func (s *DB) DeletePublisherTokens(ctx context.Context, expiredBefore time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM tokens WHERE publisher <> '' AND expires_at < ?`), micros(expiredBefore))
	return err
}

// UseOIDCToken records that the ID token (issuer, jti) was exchanged. It
// reports false when it was recorded before: a replay. Records of tokens
// that have expired are dropped on the way.
func (s *DB) UseOIDCToken(ctx context.Context, issuer, jti string, expires, now time.Time) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM oidc_used_tokens WHERE expires_at < ?`), micros(now)); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO oidc_used_tokens (issuer, jti, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (issuer, jti) DO NOTHING`), issuer, jti, micros(expires))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, tx.Commit()
}

-- Publishing security: accounts, API tokens, project ownership, name
-- allowances, trusted-publishing replay protection and the audit trail.
-- Times are unix microseconds; 0 means "never" / "not set".

CREATE TABLE users (
    name          TEXT    NOT NULL PRIMARY KEY,
    role          TEXT    NOT NULL,             -- 'admin', 'uploader' or 'reader'
    password_hash TEXT    NOT NULL,             -- argon2id in the PHC string format
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tokens (
    id            TEXT    NOT NULL PRIMARY KEY, -- the public part of the token
    secret_sha256 TEXT    NOT NULL,             -- hex SHA-256 of the whole token
    user_name     TEXT    NOT NULL DEFAULT '',  -- the account it acts for, or ''
    publisher     TEXT    NOT NULL DEFAULT '',  -- the trusted publisher that minted it, or ''
    projects      TEXT    NOT NULL DEFAULT '',  -- normalised names joined by ','; '' means any
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL DEFAULT 0,
    revoked_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_by_user ON tokens (user_name);
CREATE INDEX tokens_by_expiry ON tokens (publisher, expires_at);

-- principal: an account name, 'gitlab:<project path>' or 'oidc:<publisher>'.
CREATE TABLE owners (
    repository TEXT    NOT NULL,
    project    TEXT    NOT NULL,
    principal  TEXT    NOT NULL,
    added_at   INTEGER NOT NULL,
    added_by   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (repository, project, principal)
);

-- One row while the first upload of a new project is in flight: whoever
-- inserts it first becomes the owner when the upload commits.
CREATE TABLE project_claims (
    repository TEXT    NOT NULL,
    project    TEXT    NOT NULL,
    principal  TEXT    NOT NULL,
    claimed_at INTEGER NOT NULL,
    PRIMARY KEY (repository, project)
);

CREATE TABLE name_allowances (
    pattern  TEXT    NOT NULL PRIMARY KEY,      -- a normalised name or a glob
    added_at INTEGER NOT NULL,
    added_by TEXT    NOT NULL DEFAULT ''
);

-- OIDC ID tokens already exchanged, until they expire (replay protection).
CREATE TABLE oidc_used_tokens (
    issuer     TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,             -- PostgreSQL: BIGINT GENERATED ALWAYS AS IDENTITY
    at         INTEGER NOT NULL,
    event      TEXT    NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    actor_kind TEXT    NOT NULL DEFAULT '',
    repository TEXT    NOT NULL DEFAULT '',
    project    TEXT    NOT NULL DEFAULT '',
    version    TEXT    NOT NULL DEFAULT '',
    filename   TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT '',
    remote     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_time ON audit_events (at);
CREATE INDEX audit_events_by_project ON audit_events (repository, project);

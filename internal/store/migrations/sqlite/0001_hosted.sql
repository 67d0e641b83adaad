-- Hosted projects and their files.
CREATE TABLE projects (
    repository   TEXT    NOT NULL,
    name         TEXT    NOT NULL,  -- PEP 503 normalised
    display_name TEXT    NOT NULL,  -- as the first file's metadata spelled it
    created_at   INTEGER NOT NULL,  -- unix microseconds
    -- serial grows with every change to the project's files, so that
    -- servers (in any process) can cache the page and revalidate cheaply
    serial       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository, name)
);

CREATE TABLE files (
    repository      TEXT    NOT NULL,
    project         TEXT    NOT NULL,
    filename        TEXT    NOT NULL,
    version         TEXT    NOT NULL,  -- canonical PEP 440
    kind            TEXT    NOT NULL,  -- 'wheel' or 'sdist'
    sha256          TEXT    NOT NULL,
    blake2b_256     TEXT    NOT NULL DEFAULT '',
    md5             TEXT    NOT NULL DEFAULT '',
    size            INTEGER NOT NULL,
    requires_python TEXT    NOT NULL DEFAULT '',
    metadata_sha256 TEXT    NOT NULL DEFAULT '',  -- '' when no PEP 658 file is served
    summary         TEXT    NOT NULL DEFAULT '',
    uploaded_at     INTEGER NOT NULL,
    uploaded_by     TEXT    NOT NULL DEFAULT '',
    yanked          INTEGER NOT NULL DEFAULT 0,
    yank_reason     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (repository, filename),
    FOREIGN KEY (repository, project) REFERENCES projects (repository, name)
);
CREATE INDEX files_by_project ON files (repository, project);
CREATE INDEX files_by_sha256 ON files (sha256);
CREATE INDEX files_by_metadata ON files (metadata_sha256);

-- Tombstones: a deleted file's name can never be used again in its
-- repository (as on PyPI), so a name always means the same bytes.
CREATE TABLE deleted_files (
    repository TEXT    NOT NULL,
    filename   TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    deleted_at INTEGER NOT NULL,
    PRIMARY KEY (repository, filename)
);

-- PEP 658 metadata Sluice extracted itself from upstream wheels that came
-- without it, keyed by the wheel's sha256 (files are immutable).
CREATE TABLE extracted_metadata (
    file_sha256     TEXT    NOT NULL PRIMARY KEY,
    metadata_sha256 TEXT    NOT NULL,  -- '' when the wheel has no usable METADATA
    error           TEXT    NOT NULL DEFAULT '',
    extracted_at    INTEGER NOT NULL
);

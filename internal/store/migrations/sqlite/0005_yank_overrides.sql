-- Run-time yank overrides: admins yank upstream releases or files (rapid
-- response to a vulnerability) without editing the configuration. Every
-- yank node of the graph applies them. Times are unix microseconds.
CREATE TABLE yank_overrides (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project    TEXT    NOT NULL,             -- normalised name or glob (acme-*)
    version    TEXT    NOT NULL DEFAULT '',  -- exact version or specifier set; '' = every version
    file       TEXT    NOT NULL DEFAULT '',  -- file name glob; '' = every file
    reason     TEXT    NOT NULL,
    created_by TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

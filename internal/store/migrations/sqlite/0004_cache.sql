-- The proxy's caches. cached_files lists upstream files kept in the blob
-- store (content-addressed by the sha256 the upstream page promised), with
-- their last access for least-recently-used eviction. upstream_pages keeps
-- the last page (or root listing, name '') each upstream node answered, with
-- its validators, so that pages survive restarts, are revalidated with
-- If-None-Match / If-Modified-Since, and are served during an outage.
CREATE TABLE cached_files (
    sha256      TEXT    NOT NULL PRIMARY KEY,
    size        INTEGER NOT NULL,
    cached_at   INTEGER NOT NULL,
    last_access INTEGER NOT NULL
);
CREATE INDEX cached_files_last_access ON cached_files (last_access);

CREATE TABLE upstream_pages (
    upstream      TEXT    NOT NULL,
    name          TEXT    NOT NULL,  -- '' for the root listing
    status        INTEGER NOT NULL,  -- 200, or 404 for a remembered absence
    url           TEXT    NOT NULL,  -- the final URL (after redirects), to resolve links
    content_type  TEXT    NOT NULL,
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    body          BLOB    NOT NULL,  -- the page as sent, unless it is in the blob store:
    body_blob     TEXT    NOT NULL DEFAULT '',  -- its sha256 there (root listings: tens of MiB)
    validated_at  INTEGER NOT NULL,  -- the last time the upstream confirmed it
    PRIMARY KEY (upstream, name)
);

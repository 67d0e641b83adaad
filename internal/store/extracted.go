package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ExtractedMetadata is what Sluice learnt about one upstream wheel's
// METADATA: the digest of the bytes (in the blob store), or why there is
// none.
type ExtractedMetadata struct {
	FileSHA256     string
	MetadataSHA256 string // "" when extraction failed for good
	Error          string
}

// ExtractedMetadata returns the record for a wheel, or ErrNotFound.
func (s *DB) ExtractedMetadata(ctx context.Context, fileSHA256 string) (ExtractedMetadata, error) {
	st, err := s.prepared(ctx, `SELECT file_sha256, metadata_sha256, error FROM extracted_metadata WHERE file_sha256 = ?`)
	if err != nil {
		return ExtractedMetadata{}, err
	}
	var m ExtractedMetadata
	err = st.QueryRowContext(ctx, fileSHA256).Scan(&m.FileSHA256, &m.MetadataSHA256, &m.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return ExtractedMetadata{}, ErrNotFound
	}
	return m, err
}

// PutExtractedMetadata records a result; a second record for the same
// wheel is ignored (the first extraction wins; files are immutable).
func (s *DB) PutExtractedMetadata(ctx context.Context, m ExtractedMetadata) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO extracted_metadata (file_sha256, metadata_sha256, error, extracted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (file_sha256) DO NOTHING`), m.FileSHA256, m.MetadataSHA256, m.Error, time.Now().UnixMicro())
	return err
}

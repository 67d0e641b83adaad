package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/store"
)

func TestRecord(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	r := audit.New(db, slog.New(slog.NewJSONHandler(&logs, nil)))

	by := audit.Actor{Name: "alice", Kind: "user", Remote: "10.0.0.7:5123"}
	e := by.Event(audit.UploadRefused)
	e.Project, e.Filename, e.Detail = "acme", "acme-1.0.tar.gz", "'acme' exists on the public index"
	cctx, cancel := context.WithCancel(ctx)
	cancel() // a client that hung up still leaves its trace
	r.Record(cctx, e)

	events, err := db.AuditEvents(ctx, "acme", 10)
	if err != nil || len(events) != 1 {
		t.Fatalf("AuditEvents = %v, %v", events, err)
	}
	got := events[0]
	if got.Event != audit.UploadRefused || got.Actor != "alice" || got.ActorKind != "user" || got.Remote != "10.0.0.7:5123" ||
		got.Filename != "acme-1.0.tar.gz" || got.At.IsZero() {
		t.Fatalf("recorded %+v", got)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", logs.String())
	}
	if line["msg"] != "audit" || line["level"] != "WARN" || line["event"] != "upload.refused" || line["actor"] != "alice" ||
		line["remote"] != "10.0.0.7:5123" || line["project"] != "acme" || line["version"] != nil {
		t.Fatalf("log line %v", line)
	}

	// a database failure is logged, not returned
	db.Close()
	logs.Reset()
	r.Record(ctx, by.Event(audit.FileYanked))
	if !strings.Contains(logs.String(), `"level":"INFO"`) || !strings.Contains(logs.String(), `"event":"audit.error"`) {
		t.Fatalf("after a database failure: %s", logs.String())
	}
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/store"
)

func TestUsersAndTokens(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	now := time.Unix(1700000000, 0).UTC()
	u := store.User{Name: "alice", Role: "uploader", PasswordHash: "$argon2id$x", CreatedAt: now}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, u); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second CreateUser = %v, want ErrExists", err)
	}
	got, err := db.UserByName(ctx, "alice")
	if err != nil || got != u {
		t.Fatalf("UserByName = %+v, %v", got, err)
	}
	if _, err := db.UserByName(ctx, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := db.SetUserDisabled(ctx, "alice", now); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByName(ctx, "alice"); !got.DisabledAt.Equal(now) {
		t.Fatalf("disabled at %v", got.DisabledAt)
	}

	tok := store.Token{ID: "abc", SecretSHA256: "00", User: "alice", Projects: []string{"a", "b-c"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateToken(ctx, tok); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate token id: %v", err)
	}
	pub := store.Token{ID: "pub", SecretSHA256: "11", Publisher: "ci", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := db.CreateToken(ctx, pub); err != nil {
		t.Fatal(err)
	}
	gt, err := db.TokenByID(ctx, "abc")
	if err != nil || !slices.Equal(gt.Projects, tok.Projects) || !gt.ExpiresAt.Equal(tok.ExpiresAt) || !gt.RevokedAt.IsZero() {
		t.Fatalf("TokenByID = %+v, %v", gt, err)
	}
	if list, _ := db.Tokens(ctx, ""); len(list) != 1 || list[0].ID != "abc" {
		t.Fatalf("Tokens lists publisher tokens or misses account ones: %+v", list)
	}
	if err := db.RevokeToken(ctx, "abc", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, "abc", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if gt, _ := db.TokenByID(ctx, "abc"); !gt.RevokedAt.Equal(now.Add(time.Second)) {
		t.Fatalf("revoked at %v, want the first revocation", gt.RevokedAt)
	}
	if err := db.RevokeToken(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if err := db.DeletePublisherTokens(ctx, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TokenByID(ctx, "pub"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired publisher token kept: %v", err)
	}
	if _, err := db.TokenByID(ctx, "abc"); err != nil {
		t.Fatalf("account token deleted with publisher tokens: %v", err)
	}

	fresh, err := db.UseOIDCToken(ctx, "https://issuer", "j1", now.Add(time.Minute), now)
	if err != nil || !fresh {
		t.Fatalf("first use = %v, %v", fresh, err)
	}
	if fresh, _ := db.UseOIDCToken(ctx, "https://issuer", "j1", now.Add(time.Minute), now); fresh {
		t.Fatal("a replayed jti was accepted")
	}
}

func TestOwnersAndClaims(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	now := time.Unix(1700000000, 0).UTC()
	holder, exists, err := db.ClaimProject(ctx, "local", "p", "alice", now, now.Add(-time.Hour))
	if err != nil || exists || holder != "alice" {
		t.Fatalf("first claim = %q, %v, %v", holder, exists, err)
	}
	if holder, _, _ := db.ClaimProject(ctx, "local", "p", "bob", now, now.Add(-time.Hour)); holder != "alice" {
		t.Fatalf("bob took alice's fresh claim: holder %q", holder)
	}
	// a stale claim is taken over
	if holder, _, _ := db.ClaimProject(ctx, "local", "p", "bob", now.Add(2*time.Hour), now.Add(time.Hour)); holder != "bob" {
		t.Fatalf("stale claim not taken over: holder %q", holder)
	}
	became, err := db.ConfirmOwnership(ctx, "local", "p", "bob", now)
	if err != nil || !became {
		t.Fatalf("ConfirmOwnership = %v, %v", became, err)
	}
	if _, err := db.ClaimHolder(ctx, "local", "p"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim left after confirmation: %v", err)
	}
	if _, exists, _ := db.ClaimProject(ctx, "local", "p", "carol", now, now); !exists {
		t.Fatal("an owned project was claimable")
	}
	if _, err := db.ClaimHolder(ctx, "local", "p"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused claim left a row: %v", err)
	}
	if became, _ := db.ConfirmOwnership(ctx, "local", "p", "alice", now); became {
		t.Fatal("a second uploader became owner of an owned project")
	}
	if added, _ := db.AddOwner(ctx, "local", "p", "alice", "bob", now); !added {
		t.Fatal("AddOwner did not add")
	}
	if added, _ := db.AddOwner(ctx, "local", "p", "alice", "bob", now); added {
		t.Fatal("AddOwner added twice")
	}
	if err := db.RemoveOwner(ctx, "local", "p", "zed", false); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("remove non-owner: %v", err)
	}
	if err := db.RemoveOwner(ctx, "local", "p", "alice", false); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveOwner(ctx, "local", "p", "bob", false); !errors.Is(err, store.ErrLastOwner) {
		t.Fatalf("remove last owner: %v", err)
	}
	old, err := db.ReplaceOwners(ctx, "local", "p", []string{"carol", "dave"}, "admin", now)
	if err != nil || !slices.Equal(old, []string{"bob"}) {
		t.Fatalf("ReplaceOwners = %v, %v", old, err)
	}
	owners, _ := db.Owners(ctx, "local", "p")
	if len(owners) != 2 || owners[0].Principal != "carol" || owners[1].Principal != "dave" || owners[0].AddedBy != "admin" {
		t.Fatalf("owners = %+v", owners)
	}
}

// TestClaimRace: of many concurrent first uploads of one new project, by
// different principals, exactly one holds the claim.
func TestClaimRace(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	now := time.Now()
	var wg sync.WaitGroup
	holders := make([]string, 16)
	for i := range holders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, _, err := db.ClaimProject(ctx, "local", "new", fmt.Sprintf("user%d", i), now, now.Add(-time.Hour))
			if err != nil {
				t.Error(err)
			}
			holders[i] = h
		}()
	}
	wg.Wait()
	won := 0
	for i, h := range holders {
		if h == fmt.Sprintf("user%d", i) {
			won++
		}
		if h != holders[0] {
			t.Fatalf("claimants disagree on the holder: %q vs %q", h, holders[0])
		}
	}
	if won != 1 {
		t.Fatalf("%d claimants won", won)
	}
}

func TestNameAllowancesAndAudit(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	now := time.Unix(1700000000, 0).UTC()
	for _, p := range []string{"acme-*", "requests"} {
		if added, err := db.AddNameAllowance(ctx, p, "cli:root", now); err != nil || !added {
			t.Fatalf("AddNameAllowance(%s) = %v, %v", p, added, err)
		}
	}
	if added, _ := db.AddNameAllowance(ctx, "acme-*", "x", now); added {
		t.Fatal("allowance added twice")
	}
	list, _ := db.NameAllowances(ctx)
	if len(list) != 2 || list[0].Pattern != "acme-*" || list[0].AddedBy != "cli:root" {
		t.Fatalf("NameAllowances = %+v", list)
	}
	if err := db.RemoveNameAllowance(ctx, "requests"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveNameAllowance(ctx, "requests"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second removal: %v", err)
	}

	for i, ev := range []string{"upload.accepted", "file.yanked", "auth.failed"} {
		if err := db.AddAuditEvent(ctx, store.AuditEvent{At: now.Add(time.Duration(i) * time.Second), Event: ev, Actor: "alice", Project: "p"}); err != nil {
			t.Fatal(err)
		}
	}
	events, err := db.AuditEvents(ctx, "p", 2)
	if err != nil || len(events) != 2 || events[0].Event != "auth.failed" || events[1].Event != "file.yanked" {
		t.Fatalf("AuditEvents = %+v, %v", events, err)
	}
}

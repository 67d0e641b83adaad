package auth_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-pkg/sluice/internal/auth/authtest"
)

// The actions of the table, in the order each identity attempts them.
const (
	uploadNew   = "upload a new project"
	uploadOwn   = "upload to its own project"
	uploadOther = "upload to someone else's project"
	yankOwn     = "yank its own file"
	yankOther   = "yank someone else's file"
	ownerOwn    = "add an owner to its own project"
	ownerOther  = "add an owner to someone else's project"
	deleteOwn   = "delete its own file"
	deleteOther = "delete someone else's file"
)

var actions = []string{uploadNew, uploadOwn, uploadOther, yankOwn, yankOther, ownerOwn, ownerOther, deleteOwn, deleteOther}

// expect builds a row's expectations: every action gets def, except those
// listed in pairs of (action, status).
func expect(def int, except ...any) map[string]int {
	m := map[string]int{}
	for _, a := range actions {
		m[a] = def
	}
	for i := 0; i+1 < len(except); i += 2 {
		m[except[i].(string)] = except[i+1].(int)
	}
	return m
}

const (
	ok           = http.StatusOK
	unauthorized = http.StatusUnauthorized
	forbidden    = http.StatusForbidden
)

// TestAuthorizationTable runs every role and identity kind against every
// action, and checks after each refusal that nothing was stored or
// changed: no file row, no blob, no project row, no owner, no claim.
func TestAuthorizationTable(t *testing.T) {
	e := authtest.New(t)
	ctx := context.Background()
	alice, carol := authtest.UserCred("alice"), authtest.UserCred("carol")

	tokenFor := func(projects []string, ttl time.Duration) authtest.Cred {
		tok, _, err := e.Gate.CreateToken(ctx, authtest.CLI, "alice", projects, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return authtest.Token(tok)
	}
	revoked := tokenFor(nil, 0)
	if err := e.Gate.RevokeToken(ctx, authtest.CLI, strings.Split(revoked.Pass, "_")[1]); err != nil {
		t.Fatal(err)
	}
	expired := tokenFor(nil, time.Millisecond)
	time.Sleep(5 * time.Millisecond)

	mintOK, badClaim, expiredID, wrongAud := e.IDToken(nil),
		e.IDToken(map[string]any{"ref": "refs/heads/feature"}),
		e.IDToken(map[string]any{"exp": time.Now().Add(-time.Minute).Unix(), "iat": time.Now().Add(-10 * time.Minute).Unix()}),
		e.IDToken(map[string]any{"aud": "pypi"})

	owner := expect(ok, uploadOther, forbidden, yankOther, forbidden, ownerOther, forbidden, deleteOther, forbidden)
	ci := expect(ok, uploadOther, forbidden, yankOther, forbidden, ownerOwn, forbidden, ownerOther, forbidden, deleteOther, forbidden)
	rows := []struct {
		name string
		// cred makes the row's credentials; mintStatus, when set, is the
		// status of the OIDC exchange that yields them.
		cred       func() (c authtest.Cred, mintStatus int)
		canOwn     bool // the row's identity creates its own project itself (else alice does)
		principal  string
		want       map[string]int
		mintStatus int
	}{
		{name: "admin", cred: fixed(authtest.UserCred("root")), canOwn: true, principal: "root", want: expect(ok)},
		{name: "uploader", cred: fixed(alice), canOwn: true, principal: "alice", want: owner},
		{name: "reader", cred: fixed(authtest.UserCred("rita")), want: expect(forbidden)},
		{name: "token-unscoped", cred: func() (authtest.Cred, int) { return tokenFor(nil, 0), 0 }, canOwn: true, principal: "alice", want: owner},
		{name: "token-scoped", cred: func() (authtest.Cred, int) { return tokenFor([]string{"zq-new-token-scoped"}, 0), 0 },
			principal: "alice", want: expect(forbidden, uploadNew, ok)},
		{name: "token-expired", cred: fixed(expired), want: expect(unauthorized)},
		{name: "token-revoked", cred: fixed(revoked), want: expect(unauthorized)},
		{name: "gitlab-valid", cred: fixed(authtest.JobToken("job-acme-ci")), canOwn: true, principal: "gitlab:acme/ci", want: ci},
		{name: "gitlab-invalid", cred: fixed(authtest.JobToken("job-finished-long-ago")), want: expect(unauthorized)},
		{name: "oidc-valid", cred: minted(e, mintOK), canOwn: true, principal: "oidc:ci", want: ci, mintStatus: ok},
		{name: "oidc-wrong-claim", cred: minted(e, badClaim), want: expect(unauthorized), mintStatus: forbidden},
		{name: "oidc-expired", cred: minted(e, expiredID), want: expect(unauthorized), mintStatus: unauthorized},
		{name: "oidc-wrong-audience", cred: minted(e, wrongAud), want: expect(unauthorized), mintStatus: forbidden},
		{name: "anonymous", cred: fixed(authtest.Anonymous), want: expect(unauthorized)},
		{name: "bad-password", cred: fixed(authtest.Basic("alice", "wrong-password")), want: expect(unauthorized)},
		{name: "unknown-user", cred: fixed(authtest.Basic("mallory", "whatever-pw")), want: expect(unauthorized)},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			c, mintStatus := row.cred()
			if mintStatus != row.mintStatus {
				t.Fatalf("token exchange answered %d, want %d", mintStatus, row.mintStatus)
			}
			newName, own, other := "zq-new-"+row.name, "zq-own-"+row.name, "zq-other-"+row.name
			ownerCred := alice
			if row.canOwn {
				ownerCred = c
			}
			ownFile := e.MustUpload(ownerCred, own)
			otherFile := e.MustUpload(carol, other)
			ownersOf := map[string][]string{own: e.Owners(own), other: e.Owners(other)}

			check := func(action string, status int, detail string) bool {
				t.Helper()
				if want := row.want[action]; status != want {
					t.Errorf("%s: status %d, want %d (%s)", action, status, want, detail)
					return false
				}
				return status == ok
			}
			// uploads
			u := e.Upload(c, newName)
			if check(uploadNew, u.Status, u.Body) {
				if got := e.Owners(newName); !slices.Equal(got, []string{row.principal}) {
					t.Errorf("%s: owners %v, want [%s]", uploadNew, got, row.principal)
				}
			} else if err := e.NothingOf(newName); err != nil {
				t.Errorf("%s refused: %v", uploadNew, err)
			}
			for _, tc := range []struct{ action, project string }{{uploadOwn, own}, {uploadOther, other}} {
				u := e.Upload(c, tc.project)
				if row, blobs := e.Stored(u); !check(tc.action, u.Status, u.Body) && (row || blobs) {
					t.Errorf("%s refused but stored: row %v, blobs %v", tc.action, row, blobs)
				}
				if got := e.Owners(tc.project); !slices.Equal(got, ownersOf[tc.project]) {
					t.Errorf("%s changed the owners: %v -> %v", tc.action, ownersOf[tc.project], got)
				}
			}
			// yanks
			for _, tc := range []struct {
				action, project string
				f               authtest.Upload
			}{{yankOwn, own, ownFile}, {yankOther, other, otherFile}} {
				status, out := e.API(c, "POST", "/api/admin/projects/"+tc.project+"/files/"+tc.f.Filename+"/yank", map[string]string{"reason": "broken"})
				yanked := check(tc.action, status, authtest.ErrorOf(out))
				f, err := e.DB.FileByName(ctx, "local", tc.f.Filename)
				if err != nil || f.Yanked != yanked || (yanked && f.YankReason != "broken") {
					t.Errorf("%s: file yanked=%v reason=%q after status %d (%v)", tc.action, f.Yanked, f.YankReason, status, err)
				}
			}
			// owner changes
			for _, tc := range []struct{ action, project string }{{ownerOwn, own}, {ownerOther, other}} {
				status, out := e.API(c, "POST", "/api/admin/projects/"+tc.project+"/owners", map[string]string{"owner": "rita"})
				added := check(tc.action, status, authtest.ErrorOf(out))
				if got := e.Owners(tc.project); slices.Contains(got, "rita") != added {
					t.Errorf("%s: owners %v after status %d", tc.action, got, status)
				}
			}
			// deletions
			for _, tc := range []struct {
				action, project string
				f               authtest.Upload
			}{{deleteOwn, own, ownFile}, {deleteOther, other, otherFile}} {
				status, out := e.API(c, "DELETE", "/api/admin/projects/"+tc.project+"/files/"+tc.f.Filename, nil)
				deleted := check(tc.action, status, authtest.ErrorOf(out))
				if row, blobs := e.Stored(tc.f); row == deleted || blobs == deleted {
					t.Errorf("%s: after status %d the row exists: %v, the blobs exist: %v", tc.action, status, row, blobs)
				}
			}
			if err := e.SpoolEmpty(); err != nil {
				t.Error(err)
			}
		})
	}

	// every kind of event was audited, in the table and in the log
	for _, ev := range []string{"upload.accepted", "upload.refused", "auth.failed", "file.yanked", "file.deleted", "owner.added", "token.minted", "token.created", "token.revoked", "user.created"} {
		if e.AuditCount(ev) == 0 {
			t.Errorf("no %s event in the audit table", ev)
		}
		if !strings.Contains(e.Logs.String(), `"event":"`+ev+`"`) {
			t.Errorf("no %s line in the log", ev)
		}
	}
	events, _ := e.DB.AuditEvents(ctx, "zq-new-uploader", 10)
	if len(events) == 0 || events[len(events)-1].Actor != "alice" || events[len(events)-1].Remote == "" || events[len(events)-1].At.IsZero() {
		t.Errorf("the upload's audit event lacks who, when or where: %+v", events)
	}
}

func fixed(c authtest.Cred) func() (authtest.Cred, int) {
	return func() (authtest.Cred, int) { return c, 0 }
}

// minted exchanges an ID token when the row runs. A refused exchange
// leaves the ID token itself as the password, as a confused client would
// send it.
func minted(e *authtest.Env, idToken string) func() (authtest.Cred, int) {
	return func() (authtest.Cred, int) {
		status, tok, _ := e.Mint(idToken)
		if tok == "" {
			tok = idToken
		}
		return authtest.Token(tok), status
	}
}

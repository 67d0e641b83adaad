package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/server"
)

// GitLabUser is the user name GitLab CI jobs authenticate with; the
// password is the job's $CI_JOB_TOKEN.
const GitLabUser = "gitlab-ci-token"

// gitlabCacheTTL bounds how long a verified (or refused) job token is
// trusted without asking GitLab again. A job token lives as long as its
// job; a minute keeps a job's burst of requests to one round trip.
const gitlabCacheTTL = time.Minute

// gitlab verifies CI job tokens with GET /api/v4/job, which answers, for
// the job the token belongs to, the job itself. The job carries no
// project path field, but its web_url is <gitlab>/<project path>/-/jobs/<id>
// and GitLab builds it from the project's full path, so the path is read
// from there: one call, with an endpoint every job token may use (GET
// /projects/:id is not open to job tokens on every GitLab version).
type gitlab struct {
	base   *url.URL
	allow  []string
	client *http.Client
	cache  *credCache[gitlabOutcome]
}

type gitlabOutcome struct {
	path    string
	refusal string // non-empty: GitLab refused the token
}

func newGitLab(cfg config.GitLab, client *http.Client) (*gitlab, error) {
	base, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("auth.gitlab.url: %w", err)
	}
	// The job token travels in a header that redirects would carry to
	// wherever they point: refuse them.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &gitlab{base: base, allow: cfg.Projects, client: &c, cache: newCredCache[gitlabOutcome](gitlabCacheTTL, 10000)}, nil
}

// verify returns the project path of the job a token belongs to, or an
// *server.AuthError: 401 for a token GitLab refuses, 403 for a project not
// allowed by auth.gitlab.projects, 503 when GitLab cannot be asked.
func (g *gitlab) verify(ctx context.Context, token string, now time.Time) (string, error) {
	key := g.cache.keyOf(token)
	out, ok := g.cache.get(key, now)
	if !ok {
		var err error
		out, err = g.ask(ctx, token)
		if err != nil {
			return "", &server.AuthError{Status: http.StatusServiceUnavailable,
				Msg: fmt.Sprintf("Cannot verify the GitLab CI job token: %v; try again later.", err)}
		}
		g.cache.put(key, out, now)
	}
	if out.refusal != "" {
		return "", &server.AuthError{Status: http.StatusUnauthorized, Msg: "Authentication failed: " + out.refusal}
	}
	if !g.allowed(out.path) {
		return "", &server.AuthError{Status: http.StatusForbidden,
			Msg: fmt.Sprintf("GitLab project %s is not allowed to use this server (auth.gitlab.projects).", out.path)}
	}
	return out.path, nil
}

func (g *gitlab) ask(ctx context.Context, token string) (gitlabOutcome, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base.String()+"/api/v4/job", nil)
	if err != nil {
		return gitlabOutcome{}, err
	}
	req.Header.Set("JOB-TOKEN", token)
	req.Header.Set("Accept", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return gitlabOutcome{}, fmt.Errorf("GitLab at %s did not answer", g.base.Host)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
		return gitlabOutcome{refusal: "GitLab does not accept this CI job token (is the job still running?)."}, nil
	case resp.StatusCode != http.StatusOK:
		return gitlabOutcome{}, fmt.Errorf("GitLab at %s answered %s", g.base.Host, resp.Status)
	}
	var job struct {
		WebURL   string `json:"web_url"`
		Pipeline struct {
			ProjectID int64 `json:"project_id"`
		} `json:"pipeline"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&job); err != nil {
		return gitlabOutcome{}, fmt.Errorf("GitLab at %s answered something that is not a job: %v", g.base.Host, err)
	}
	path, ok := g.projectPath(job.WebURL)
	if !ok {
		return gitlabOutcome{}, fmt.Errorf("GitLab at %s answered a job without a usable web_url (%q)", g.base.Host, job.WebURL)
	}
	return gitlabOutcome{path: path}, nil
}

// projectPath extracts "group/sub/project" from a job's web URL, under
// GitLab's relative URL root if it has one.
func (g *gitlab) projectPath(webURL string) (string, bool) {
	u, err := url.Parse(webURL)
	if err != nil {
		return "", false
	}
	p := strings.TrimPrefix(u.Path, strings.TrimSuffix(g.base.Path, "/"))
	i := strings.Index(p, "/-/jobs/")
	if i <= 0 {
		return "", false
	}
	path := strings.TrimPrefix(p[:i], "/")
	return path, validProjectPath(path)
}

// validProjectPath reports whether path looks like a GitLab project's full
// path: segments of letters, digits, '-', '_' and '.', not "." or "..".
func validProjectPath(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '.' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		}) {
			return false
		}
	}
	return true
}

// allowed applies auth.gitlab.projects: exact project paths, or "group/*"
// for every project under a group, at any depth. An empty list allows
// every project of the instance.
func (g *gitlab) allowed(path string) bool {
	if len(g.allow) == 0 {
		return true
	}
	for _, a := range g.allow {
		if a == path {
			return true
		}
		if group, ok := strings.CutSuffix(a, "/*"); ok && strings.HasPrefix(path, group+"/") {
			return true
		}
	}
	return false
}

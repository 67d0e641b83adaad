package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/sluice-pkg/sluice/internal/admin"
	"github.com/sluice-pkg/sluice/internal/app"
	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/auth"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/nameguard"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/server"
)

// publishingOptions builds the publishing-security part of the server for
// one configuration and graph: the upload gate, the admin API, the OIDC
// token exchange and the read check of private indexes.
func publishingOptions(cfg *config.Config, g *repository.Graph, a *app.App, popular *nameguard.Popular, log *slog.Logger) (server.Options, error) {
	rec := audit.New(a.DB, log)
	gate, err := auth.New(auth.Options{
		DB: a.DB, Auth: cfg.Auth, Audit: rec, Logger: log, Popular: popular,
		PublicExists: publicExists(cfg, g),
	})
	if err != nil {
		return server.Options{}, err
	}
	svc := &admin.Service{DB: a.DB, Blobs: a.Blobs, BlobLocks: a.BlobLocks, Gate: gate, Audit: rec, Hosted: a.UploadRepository,
		Explain: func(ctx context.Context, index, project, file string) (string, error) {
			for _, ix := range cfg.Indexes {
				if index == "" || ix.Path == index {
					return g.Explain(ctx, ix.Repository, project, file)
				}
			}
			return "", &admin.Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("there is no index at %q", index)}
		}}
	return server.Options{
		Gate:     gate,
		ReadAuth: gate.AuthenticateRead,
		Admin:    admin.NewHandler(svc, log),
		OIDC:     gate.OIDCHandler(),
	}, nil
}

// publicExists asks every upstream node of the graph whether it has the
// name; an upstream that cannot answer makes the guard refuse (fail closed).
func publicExists(cfg *config.Config, g *repository.Graph) func(ctx context.Context, name string) (bool, error) {
	return func(ctx context.Context, name string) (bool, error) {
		for _, n := range cfg.Repositories {
			if n.Type != "upstream" {
				continue
			}
			r, ok := g.Node(n.Name)
			if !ok {
				continue
			}
			_, err := r.Project(ctx, name)
			if err == nil {
				return true, nil
			}
			if !errors.Is(err, repository.ErrNotFound) {
				return false, err
			}
		}
		return false, nil
	}
}

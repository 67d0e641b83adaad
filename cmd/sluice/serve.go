package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluice-pkg/sluice/internal/app"
	"github.com/sluice-pkg/sluice/internal/auth"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/logbuf"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/server"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	listen := fs.String("listen", "", "address to listen on (overrides the file)")
	dataDir := fs.String("data-dir", "", "data directory (overrides the file)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: serve takes no arguments (got %q)", errUsage, pos[0])
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	// The JSON log (one line per request, and events) is buffered and
	// flushed every 200 ms: a write(2) per line costs more than a warm page.
	logw := logbuf.New(stderr, 200*time.Millisecond)
	defer logw.Close()
	log := slog.New(slog.NewJSONHandler(logw, nil))
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	// A bad popular-names file stops the start, not the first upload.
	popular, err := auth.LoadPopular(cfg.Auth)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Source, err)
	}
	requests := new(server.RequestMetrics) // one for the process: figures survive reloads
	newServer := func(cfg *config.Config, g *repository.Graph) (*server.Server, error) {
		opts, err := publishingOptions(cfg, g, a, popular, log)
		if err != nil {
			return nil, err
		}
		opts.Config = cfg
		opts.Graph = g
		opts.Logger = log
		opts.Ready = map[string]server.Pinger{"database": a.DB, "storage": a.Blobs}
		// hit/miss figures of the upstream file cache
		opts.Metrics = a.Files
		opts.Requests = requests
		return server.New(opts)
	}
	srv, err := newServer(cfg, a.Graph)
	if err != nil {
		return err
	}
	handler := server.NewSwap(srv)
	reload := func() error {
		next, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		if *listen != "" {
			next.Listen = *listen
		}
		if *dataDir != "" {
			next.DataDir = *dataDir
		}
		if next.Listen != cfg.Listen || next.DataDir != cfg.DataDir || next.Database != cfg.Database || next.Storage != cfg.Storage {
			return fmt.Errorf("%s: listen, data_dir, database and storage cannot change while serving; restart to change them", next.Source)
		}
		g, err := a.BuildGraph(next)
		if err != nil {
			return err
		}
		srv, err := newServer(next, g)
		if err != nil {
			return fmt.Errorf("%s: %w", next.Source, err)
		}
		handler.Store(srv)
		return nil
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				// An invalid file is refused and the running graph keeps
				// serving: a typo must not take the index down.
				if err := reload(); err != nil {
					log.Error("configuration not reloaded; the previous one keeps serving", "event", "config.reload_failed", "error", err.Error())
					continue
				}
				log.Info("configuration reloaded", "event", "config.reloaded", "config", cfg.Source)
			}
		}
	}()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No write timeout: gigabyte downloads to slow clients are legitimate.
	}
	log.Info("sluice serving", "event", "server.start", "listen", ln.Addr().String(), "config", cfg.Source, "data_dir", cfg.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("sluice shutting down", "event", "server.stop")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/sluice-pkg/sluice/internal/app"
	"github.com/sluice-pkg/sluice/internal/config"
)

// cmdCache runs `sluice cache prune [--max-size N]`: evicts least recently
// used upstream files until the cache fits the limit (the configured
// cache.max_size unless --max-size says otherwise). It is safe while
// `sluice serve` runs: a file being served stays readable until its
// download ends, and the server fetches an evicted file again on demand.
func cmdCache(ctx context.Context, args []string, stdout io.Writer) error {
	const usage = "sluice cache prune [--config FILE] [--max-size SIZE]"
	if len(args) == 0 || args[0] != "prune" {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs := flag.NewFlagSet("cache prune", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	maxSize := fs.String("max-size", "", "evict down to this size (500MB, 50GiB, 0 empties the cache)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	limit := int64(cfg.Cache.MaxSize)
	if limit <= 0 {
		limit = config.DefaultCacheMaxSize
	}
	if *maxSize != "" {
		v, err := config.ParseByteSize(*maxSize)
		if err != nil {
			return fmt.Errorf("--max-size: %w", err)
		}
		limit = int64(v)
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.Files.Prune(ctx, limit)
	if err != nil {
		return fmt.Errorf("cache prune: %w", err)
	}
	fmt.Fprintf(stdout, "evicted %d files (%d bytes); %d files (%d bytes) remain cached, limit %d bytes\n",
		res.Evicted, res.EvictedBytes, res.Files, res.Size, limit)
	return nil
}

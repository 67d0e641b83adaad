package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/repository"
)

func cmdConfigCheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	// Build the graph without opening stores: a check must not create files.
	g, err := repository.Build(cfg, repository.Deps{})
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Source, err)
	}
	fmt.Fprintf(stdout, "%s: OK\n", cfg.Source)
	fmt.Fprint(stdout, g.Describe())
	return nil
}

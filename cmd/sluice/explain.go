package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/sluice-pkg/sluice/internal/app"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/pypi"
)

const explainUsage = "sluice explain [--config FILE] [--index PATH] PROJECT [FILE]"

// cmdExplain prints the path a request for a project takes through an
// index's graph, what each node kept, hid, yanked or refused and why, and
// whether pip sees the file in the end.
func cmdExplain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	cfgPath := configFlag(fs)
	ixPath := fs.String("index", "", "the index path, such as /simple/ (default: the first index)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return fmt.Errorf("%w: %s", errUsage, explainUsage)
	}
	if !pypi.ValidName(pos[0]) {
		return fmt.Errorf("explain: %q is not a valid project name", pos[0])
	}
	project := pypi.Normalize(pos[0])
	file := ""
	if len(pos) == 2 {
		file = pos[1]
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	var ix *config.Index
	for i := range cfg.Indexes {
		if *ixPath == "" || cfg.Indexes[i].Path == *ixPath {
			ix = &cfg.Indexes[i]
			break
		}
	}
	if ix == nil {
		return fmt.Errorf("explain: %s has no index at %q", cfg.Source, *ixPath)
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(stdout, "index %s -> repository %s, project %q\n", ix.Path, ix.Repository, project)
	text, err := a.Graph.Explain(ctx, ix.Repository, project, file)
	if err != nil {
		return err
	}
	io.WriteString(stdout, text)
	root, _ := a.Graph.Node(ix.Repository)
	page, err := root.Project(ctx, project)
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "result: pip gets no page for %q (%v)\n", project, err)
	case file == "":
		fmt.Fprintf(stdout, "result: pip sees %d files of %q\n", len(page.Files), project)
	case page.Find(file) == nil:
		fmt.Fprintf(stdout, "result: %s is not on the page; pip does not see it and a direct request gets 404\n", file)
	case page.Find(file).Yanked:
		fmt.Fprintf(stdout, "result: %s is served but yanked (%q); pip takes it only when pinned exactly\n", file, page.Find(file).YankedReason)
	default:
		fmt.Fprintf(stdout, "result: %s is served\n", file)
	}
	if ix.Upload != "" {
		if ok, node, group := a.Graph.CanPublish(ix.Upload, project); !ok {
			fmt.Fprintf(stdout, "uploads of %q to %s are refused by %s: group %q blocks publishing\n", project, ix.Upload, node, group)
		}
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sluice-pkg/sluice/internal/app"
	"github.com/sluice-pkg/sluice/internal/config"
	"github.com/sluice-pkg/sluice/internal/pypi"
	"github.com/sluice-pkg/sluice/internal/repository"
)

// cmdImport brings existing wheels and sdists into a hosted repository with
// the same validation as an upload (but not the name-collision guard: it is
// an operator's migration tool).
func cmdImport(ctx context.Context, args []string, stdout io.Writer) error {
	fset := flag.NewFlagSet("import", flag.ContinueOnError)
	cfgPath := configFlag(fset)
	repoName := fset.String("repository", "", "hosted repository to import into")
	paths, err := parseFlags(fset, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%w: import needs at least one file or directory", errUsage)
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	hosted, err := a.UploadRepository(*repoName)
	if err != nil {
		return err
	}
	var imported, present, failed int
	one := func(path string) {
		name := filepath.Base(path)
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stdout, "failed    %s: %v\n", name, err)
			failed++
			return
		}
		defer f.Close()
		saved, err := hosted.Publish(ctx, repository.Upload{Filename: name, Content: f, Uploader: "import"})
		var pe *repository.PublishError
		switch {
		case errors.As(err, &pe) && pe.Kind == repository.Exists:
			fmt.Fprintf(stdout, "present   %s (identical file already in %s)\n", name, hosted.Name())
			present++
		case err != nil:
			fmt.Fprintf(stdout, "failed    %s: %v\n", name, err)
			failed++
		default:
			fmt.Fprintf(stdout, "imported  %s -> %s/%s (sha256 %s)\n", name, hosted.Name(), saved.Project, saved.SHA256)
			imported++
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(stdout, "failed    %s: %v\n", p, err)
			failed++
			continue
		}
		if !st.IsDir() {
			one(p)
			continue
		}
		// In a directory, only files named like distributions are taken;
		// signatures, indexes and other files beside them are skipped.
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				fmt.Fprintf(stdout, "failed    %s: %v\n", path, err)
				failed++
				return nil
			}
			if d.Type().IsRegular() {
				if _, perr := pypi.ParseFilename(d.Name()); perr == nil {
					one(path)
				}
			}
			return ctx.Err()
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%d imported, %d already present, %d failed\n", imported, present, failed)
	if failed > 0 {
		return exitError{1}
	}
	return nil
}

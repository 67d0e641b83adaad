package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/repository"
	"github.com/sluice-pkg/sluice/internal/store"
)

const yankOverrideUsage = "sluice yank-override set PROJECT [--version V] [--file GLOB] --reason TEXT | clear ID | list"

// cmdYankOverride sets, clears and lists the run-time yank overrides that
// every yank node applies. A running server picks changes up within
// seconds, without a restart.
func cmdYankOverride(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := subcommand(args, yankOverrideUsage)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("yank-override "+sub, flag.ContinueOnError)
	cfgPath := configFlag(fs)
	var version, file, reason *string
	if sub == "set" {
		version = fs.String("version", "", "an exact version or a specifier set such as '>=1.4,<1.4.3' (default: every version)")
		file = fs.String("file", "", "a file name glob (default: every file)")
		reason = fs.String("reason", "", "why, shown to pip users (required)")
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "set" && len(pos) == 1, sub == "clear" && len(pos) == 1, sub == "list" && len(pos) == 0:
	default:
		return fmt.Errorf("%w: %s", errUsage, yankOverrideUsage)
	}
	var o store.YankOverride
	var id int64
	switch sub {
	case "set":
		if strings.TrimSpace(*reason) == "" {
			return errors.New("yank-override set: --reason is required: pip shows it to whoever pinned the file")
		}
		if err := repository.CompileYankRule(pos[0], *version, *file); err != nil {
			return fmt.Errorf("yank-override set: %w", err)
		}
		o = store.YankOverride{Project: pos[0], Version: *version, File: *file, Reason: *reason}
	case "clear":
		id, err = strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
		if err != nil {
			return fmt.Errorf("yank-override clear: %q is not an override ID (see sluice yank-override list)", pos[0])
		}
	}
	op, err := openOperator(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer op.Close()
	db := op.app.DB
	// The audit trail gets a row, and stderr a structured line, per change.
	rec := audit.New(db, slog.New(slog.NewJSONHandler(stderr, nil)))
	switch sub {
	case "set":
		o.CreatedBy, o.CreatedAt = op.actor.Name, time.Now().UTC()
		o, err = db.AddYankOverride(ctx, o)
		if err != nil {
			return fmt.Errorf("yank-override set: %w", err)
		}
		e := op.actor.Event(audit.YankOverrideSet)
		e.Project, e.Version, e.Filename, e.Detail = o.Project, o.Version, o.File, fmt.Sprintf("override #%d: %s", o.ID, o.Reason)
		rec.Record(ctx, e)
		fmt.Fprintf(stdout, "set override #%d: %s\n", o.ID, describeOverride(o))
	case "clear":
		o, err := db.DeleteYankOverride(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("yank-override clear: there is no override #%d", id)
		}
		if err != nil {
			return fmt.Errorf("yank-override clear: %w", err)
		}
		e := op.actor.Event(audit.YankOverrideCleared)
		e.Project, e.Version, e.Filename, e.Detail = o.Project, o.Version, o.File, fmt.Sprintf("override #%d: %s", o.ID, o.Reason)
		rec.Record(ctx, e)
		fmt.Fprintf(stdout, "cleared override #%d: %s\n", o.ID, describeOverride(o))
	case "list":
		rows, err := db.YankOverrides(ctx)
		if err != nil {
			return err
		}
		for _, o := range rows {
			fmt.Fprintf(stdout, "#%d\t%s\t%s\t%s\n", o.ID, describeOverride(o), o.CreatedBy, o.CreatedAt.Format(time.RFC3339))
		}
	}
	return nil
}

func describeOverride(o store.YankOverride) string {
	s := "project " + o.Project
	if o.Version != "" {
		s += " version " + o.Version
	}
	if o.File != "" {
		s += " file " + o.File
	}
	return s + fmt.Sprintf(" yanked: %q", o.Reason)
}

package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-pkg/sluice/internal/admin"
	"github.com/sluice-pkg/sluice/internal/app"
	"github.com/sluice-pkg/sluice/internal/audit"
	"github.com/sluice-pkg/sluice/internal/auth"
	"github.com/sluice-pkg/sluice/internal/config"
)

// operator is what the account and project commands work with: the
// configuration's stores, the publishing-security layer, and the operator
// as the actor of the audit trail. Commands act with an admin's authority:
// whoever can run them can read the database anyway.
type operator struct {
	app   *app.App
	gate  *auth.Gate
	svc   *admin.Service
	actor audit.Actor
}

func openOperator(ctx context.Context, cfgPath string) (*operator, error) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rec := audit.New(a.DB, nil)
	gate, err := auth.New(auth.Options{DB: a.DB, Auth: cfg.Auth, Audit: rec})
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("%s: %w", cfg.Source, err)
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return &operator{
		app:   a,
		gate:  gate,
		svc:   &admin.Service{DB: a.DB, Blobs: a.Blobs, BlobLocks: a.BlobLocks, Gate: gate, Audit: rec, Hosted: a.UploadRepository},
		actor: audit.Actor{Name: "cli:" + cmp.Or(name, "unknown"), Kind: "cli", Remote: "local"},
	}, nil
}

func (o *operator) Close() error { return o.app.Close() }

// subcommand splits "user add ..." into "add" and the rest.
func subcommand(args []string, usage string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, fmt.Errorf("%w: %s", errUsage, usage)
	}
	return args[0], args[1:], nil
}

// readPassword reads a password from standard input, without the line
// ending a shell's echo or printf adds.
func readPassword(stdin io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", errors.New("standard input held no password")
	}
	return s, nil
}

func cmdUser(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	const usage = "sluice user add NAME [--role admin|uploader|reader] --password-stdin | passwd NAME --password-stdin | disable NAME | enable NAME | list"
	sub, args, err := subcommand(args, usage)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	cfgPath := configFlag(fs)
	role := fs.String("role", auth.RoleUploader, "role: admin, uploader or reader")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	want := 1
	if sub == "list" {
		want = 0
	}
	if len(pos) != want {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	switch sub {
	case "add", "passwd":
		if !*fromStdin {
			return fmt.Errorf("user %s needs --password-stdin: the password is read from standard input, never from the command line", sub)
		}
	case "disable", "enable", "list":
	default:
		return fmt.Errorf("%w: unknown command user %s; %s", errUsage, sub, usage)
	}
	if sub == "add" {
		// fail on a bad name or role before asking for anything
		if err := auth.CheckUserName(pos[0]); err != nil {
			return err
		}
		if !auth.ValidRole(*role) {
			return fmt.Errorf("role %q is not one of admin, uploader, reader", *role)
		}
	}
	var password string
	if *fromStdin {
		if password, err = readPassword(stdin); err != nil {
			return err
		}
	}
	o, err := openOperator(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer o.Close()
	switch sub {
	case "add":
		if err := o.gate.CreateUser(ctx, o.actor, pos[0], *role, password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s (role %s)\n", pos[0], *role)
	case "passwd":
		if err := o.gate.SetPassword(ctx, o.actor, pos[0], password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "changed the password of %s\n", pos[0])
	case "disable", "enable":
		if err := o.gate.SetUserDisabled(ctx, o.actor, pos[0], sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%sd user %s\n", sub, pos[0])
	case "list":
		users, err := o.gate.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			state := ""
			if !u.DisabledAt.IsZero() {
				state = "\tdisabled"
			}
			fmt.Fprintf(stdout, "%s\t%s\tcreated %s%s\n", u.Name, u.Role, u.CreatedAt.Format(time.RFC3339), state)
		}
	}
	return nil
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// parseExpiry reads a duration in Go's syntax ("720h", "90m") or in days
// ("90d").
func parseExpiry(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil && n > 0 && n <= 100*365 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("--expires %q is not a positive duration such as 90d, 720h or 30m", s)
}

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "sluice token create --user NAME [--project P]... [--expires DURATION] | revoke ID | list [--user NAME]"
	sub, args, err := subcommand(args, usage)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	cfgPath := configFlag(fs)
	userName := fs.String("user", "", "the account the token acts for")
	var projects listFlag
	fs.Var(&projects, "project", "limit the token to this project (repeatable)")
	expires := fs.String("expires", "", "lifetime, such as 90d or 720h (default: no expiry)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	var ttl time.Duration
	switch sub {
	case "create":
		if len(pos) != 0 || *userName == "" {
			return fmt.Errorf("%w: %s", errUsage, usage)
		}
		if *expires != "" {
			if ttl, err = parseExpiry(*expires); err != nil {
				return err
			}
		}
	case "revoke":
		if len(pos) != 1 {
			return fmt.Errorf("%w: %s", errUsage, usage)
		}
	case "list":
		if len(pos) != 0 {
			return fmt.Errorf("%w: %s", errUsage, usage)
		}
	default:
		return fmt.Errorf("%w: unknown command token %s; %s", errUsage, sub, usage)
	}
	o, err := openOperator(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer o.Close()
	switch sub {
	case "create":
		token, t, err := o.gate.CreateToken(ctx, o.actor, *userName, projects, ttl)
		if err != nil {
			return err
		}
		scope, until := "any project", "never expires"
		if len(t.Projects) > 0 {
			scope = strings.Join(t.Projects, ", ")
		}
		if !t.ExpiresAt.IsZero() {
			until = "expires " + t.ExpiresAt.Format(time.RFC3339)
		}
		// The token alone goes to standard output, so that scripts can
		// capture it; what it is goes to standard error.
		fmt.Fprintln(stdout, token)
		fmt.Fprintf(stderr, "API token %s for user %s (%s; %s). It is shown only this once: use it as the password of user __token__.\n", t.ID, t.User, scope, until)
	case "revoke":
		if err := o.gate.RevokeToken(ctx, o.actor, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked API token %s\n", strings.TrimPrefix(pos[0], "sluice_"))
	case "list":
		tokens, err := o.gate.Tokens(ctx, *userName)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, t := range tokens {
			state := "active"
			switch {
			case !t.RevokedAt.IsZero():
				state = "revoked " + t.RevokedAt.Format(time.RFC3339)
			case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
				state = "expired " + t.ExpiresAt.Format(time.RFC3339)
			case !t.ExpiresAt.IsZero():
				state = "expires " + t.ExpiresAt.Format(time.RFC3339)
			}
			scope := "any project"
			if len(t.Projects) > 0 {
				scope = strings.Join(t.Projects, ",")
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", t.ID, t.User, scope, state)
		}
	}
	return nil
}

func cmdNames(ctx context.Context, args []string, stdout io.Writer) error {
	const usage = "sluice names allow PATTERN... | remove PATTERN... | list"
	sub, args, err := subcommand(args, usage)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("names "+sub, flag.ContinueOnError)
	cfgPath := configFlag(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "list" && len(pos) == 0, (sub == "allow" || sub == "remove") && len(pos) > 0:
	case sub == "list" || sub == "allow" || sub == "remove":
		return fmt.Errorf("%w: %s", errUsage, usage)
	default:
		return fmt.Errorf("%w: unknown command names %s; %s", errUsage, sub, usage)
	}
	o, err := openOperator(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer o.Close()
	switch sub {
	case "allow":
		norm, err := o.svc.AllowNames(ctx, o.actor, pos)
		if err != nil {
			return err
		}
		for _, n := range norm {
			fmt.Fprintf(stdout, "allowed %s\n", n)
		}
	case "remove":
		for _, p := range pos {
			if err := o.svc.DisallowName(ctx, o.actor, p); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "removed %s\n", p)
		}
	case "list":
		list, err := o.svc.Allowances(ctx)
		if err != nil {
			return err
		}
		for _, a := range list {
			fmt.Fprintf(stdout, "%s\tallowed %s by %s\n", a.Pattern, a.AddedAt.Format(time.RFC3339), a.AddedBy)
		}
	}
	return nil
}

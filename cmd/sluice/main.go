// Command sluice is a secure, fast Python package repository: one index URL
// for in-house and public packages without dependency confusion.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const usage = `usage: sluice <command> [arguments]

commands:
  serve [--config FILE] [--listen ADDR] [--data-dir DIR]   run the server
  import [--config FILE] [--repository NAME] PATH...        import wheels and sdists
  config check [--config FILE]                              validate the configuration, print the graph
  user add NAME [--role ROLE] --password-stdin              create an account (roles: admin, uploader, reader)
  user passwd NAME --password-stdin | disable NAME | enable NAME | list
  token create --user NAME [--project P]... [--expires D]   print a new API token once (D: 90d, 720h, ...)
  token revoke ID | list [--user NAME]
  names allow PATTERN... | remove PATTERN... | list         let new projects take public names (acme-*)
  yank [--repository R] PROJECT VERSION|FILE [--reason R]   yank a release or a file (PEP 592)
  unyank [--repository R] PROJECT VERSION|FILE
  delete [--repository R] PROJECT VERSION|FILE              delete a release or a file
  owner list PROJECT | add PROJECT OWNER | remove PROJECT OWNER | transfer PROJECT OWNER...
  yank-override set PROJECT [--version V] [--file GLOB] --reason R | clear ID | list
                                                            yank upstream releases or files at run time
  explain [--index PATH] PROJECT [FILE]                     show which node kept, hid or yanked each file, and why
  cache prune [--max-size SIZE]                             evict least recently used upstream files
  version                                                   print the version

Every --config also reads $SLUICE_CONFIG; without either the embedded default runs.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// errUsage marks errors that should print the usage text.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "import":
		err = cmdImport(ctx, args[1:], stdout)
	case "config":
		if len(args) < 2 || args[1] != "check" {
			err = fmt.Errorf("%w: sluice config check [--config FILE]", errUsage)
			break
		}
		err = cmdConfigCheck(ctx, args[2:], stdout)
	case "user":
		err = cmdUser(ctx, args[1:], stdin, stdout)
	case "token":
		err = cmdToken(ctx, args[1:], stdout, stderr)
	case "names":
		err = cmdNames(ctx, args[1:], stdout)
	case "yank", "unyank", "delete":
		err = cmdFiles(ctx, args[0], args[1:], stdout)
	case "owner":
		err = cmdOwner(ctx, args[1:], stdout)
	case "yank-override":
		err = cmdYankOverride(ctx, args[1:], stdout, stderr)
	case "explain":
		err = cmdExplain(ctx, args[1:], stdout)
	case "cache":
		err = cmdCache(ctx, args[1:], stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "sluice", version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	if err == nil {
		return 0
	}
	var ex exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	fmt.Fprintln(stderr, "sluice:", err)
	if errors.Is(err, errUsage) {
		fmt.Fprint(stderr, usage)
		return 2
	}
	return 1
}

// exitError ends a command with a status after it printed its own output.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// parseFlags parses flags that may stand before, between or after
// positional arguments (`sluice user add NAME --role admin`), returning the
// positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// configFlag registers --config, defaulting to $SLUICE_CONFIG.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", os.Getenv("SLUICE_CONFIG"), "configuration file")
}

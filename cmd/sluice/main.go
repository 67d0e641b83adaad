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

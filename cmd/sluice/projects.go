package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sluice-pkg/sluice/internal/admin"
)

// cmdFiles yanks, un-yanks or deletes a file or a whole release of a
// hosted project.
func cmdFiles(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	usage := "sluice " + verb + " [--repository R] PROJECT VERSION|FILE"
	if verb == "yank" {
		usage += " [--reason TEXT]"
	}
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	cfgPath := configFlag(fs)
	repoName := fs.String("repository", "", "hosted repository (default: the upload target)")
	var reason *string
	if verb == "yank" {
		reason = fs.String("reason", "", "why, shown to pip users (PEP 592)")
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	o, repo, project, err := openProject(ctx, *cfgPath, *repoName, pos[0])
	if err != nil {
		return err
	}
	defer o.Close()
	t := admin.ParseTarget(pos[1])
	var files []string
	switch verb {
	case "yank":
		files, err = o.svc.Yank(ctx, o.actor, repo, project, t, true, *reason)
	case "unyank":
		files, err = o.svc.Yank(ctx, o.actor, repo, project, t, false, "")
	case "delete":
		files, err = o.svc.Delete(ctx, o.actor, repo, project, t)
	}
	done := map[string]string{"yank": "yanked", "unyank": "unyanked", "delete": "deleted"}[verb]
	for _, f := range files {
		fmt.Fprintf(stdout, "%s %s\n", done, f)
	}
	return err
}

// cmdOwner lists and changes the owners of a hosted project.
func cmdOwner(ctx context.Context, args []string, stdout io.Writer) error {
	const usage = "sluice owner list PROJECT | add PROJECT OWNER | remove PROJECT OWNER | transfer PROJECT OWNER... [--repository R]"
	sub, args, err := subcommand(args, usage)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("owner "+sub, flag.ContinueOnError)
	cfgPath := configFlag(fs)
	repoName := fs.String("repository", "", "hosted repository (default: the upload target)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "list" && len(pos) == 1, (sub == "add" || sub == "remove") && len(pos) == 2, sub == "transfer" && len(pos) >= 2:
	case sub == "list" || sub == "add" || sub == "remove" || sub == "transfer":
		return fmt.Errorf("%w: %s", errUsage, usage)
	default:
		return fmt.Errorf("%w: unknown command owner %s; %s", errUsage, sub, usage)
	}
	o, repo, project, err := openProject(ctx, *cfgPath, *repoName, pos[0])
	if err != nil {
		return err
	}
	defer o.Close()
	switch sub {
	case "add":
		err = o.svc.AddOwner(ctx, o.actor, repo, project, pos[1])
	case "remove":
		// an operator may orphan a project; uploads then need an admin
		err = o.svc.RemoveOwner(ctx, o.actor, repo, project, pos[1], true)
	case "transfer":
		err = o.svc.Transfer(ctx, o.actor, repo, project, pos[1:])
	}
	if err != nil {
		return err
	}
	owners, err := o.svc.Owners(ctx, repo, project)
	if err != nil {
		return err
	}
	if len(owners) == 0 {
		fmt.Fprintf(stdout, "%s has no owner: only admins may upload to it\n", project)
	}
	for _, ow := range owners {
		fmt.Fprintf(stdout, "%s\tadded %s by %s\n", ow.Principal, ow.AddedAt.Format(time.RFC3339), ow.AddedBy)
	}
	return nil
}

// openProject checks a project name, opens the operator's view of the
// configuration and resolves the hosted repository a command acts on.
func openProject(ctx context.Context, cfgPath, repoName, rawProject string) (o *operator, repo, project string, err error) {
	if project, err = admin.Project(rawProject); err != nil {
		return nil, "", "", err
	}
	if o, err = openOperator(ctx, cfgPath); err != nil {
		return nil, "", "", err
	}
	if repo, err = o.svc.Repository(repoName); err != nil {
		o.Close()
		return nil, "", "", err
	}
	return o, repo, project, nil
}

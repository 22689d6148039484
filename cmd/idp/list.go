package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/idp/idp/storage"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// listing is what a list command prints: rows under a header for people,
// or items, an array of structs with JSON tags, for scripts. The JSON
// views are separate types so no hash or sealed key can reach the output
// by a field added to a domain type.
type listing struct {
	header []string
	rows   [][]string
	items  any
}

// jsonVar registers --json on fs.
func jsonVar(fs *flag.FlagSet, p *bool) {
	fs.BoolVar(p, "json", false, "print a JSON array instead of a table")
}

// print writes l to standard output, as JSON when asJSON.
func (c *cli) print(l listing, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(l.items)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(l.header, "\t"))
	for _, r := range l.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// listCommand returns a list command that opens the store named by
// --database, loads a listing and prints it.
func (c *cli) listCommand(usage, help string, load func(context.Context, *storage.Store) (listing, error)) *ffcli.Command {
	var dsn string
	var asJSON bool
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	databaseVar(fs, &dsn)
	jsonVar(fs, &asJSON)
	return c.command("list", usage, help, fs, func(ctx context.Context) error {
		if err := checkDatabase(dsn); err != nil {
			return err
		}
		return withStore(ctx, dsn, func(store *storage.Store) error {
			l, err := load(ctx, store)
			if err != nil {
				return err
			}
			return c.print(l, asJSON)
		})
	})
}

// timestamp formats t for a table: RFC 3339, as in the JSON output.
func timestamp(t time.Time) string { return t.Format(time.RFC3339) }

// show writes one record to standard output: a field per line for
// people, or item, a struct with JSON tags, for scripts.
func (c *cli) show(fields [][2]string, item any, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(item)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
	}
	return tw.Flush()
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

func writeTable(w io.Writer, cfg config, results []result) {
	fmt.Fprintf(w, "%s  concurrency %d  duration %v per grant\n", cfg.target, cfg.concurrency, cfg.duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "grant\trequests\terrors\treq/s\tp50 ms\tp95 ms\tp99 ms\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t\n", r.Grant, r.Requests, r.Errors, r.RPS, r.P50, r.P95, r.P99)
	}
	tw.Flush()
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", r.Grant, r.FirstError)
		}
	}
}

func writeJSON(w io.Writer, cfg config, results []result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Target      string   `json:"target"`
		Concurrency int      `json:"concurrency"`
		Duration    string   `json:"duration"`
		Results     []result `json:"results"`
	}{cfg.target, cfg.concurrency, cfg.duration.String(), results})
}

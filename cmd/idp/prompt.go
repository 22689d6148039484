package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxLineLen bounds a secret read from standard input.
const maxLineLen = 4096

// readSecret reads a password or client secret: from a terminal, it prompts
// on prompt twice without echo and requires both entries to match; from
// anything else (a pipe, a file), it reads one line. Secrets are never
// taken from flags, which end up in shell history and process listings.
func readSecret(stdin io.Reader, prompt io.Writer, what string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return promptTwice(int(f.Fd()), prompt, what)
	}
	return readLine(stdin, what)
}

// readLine reads one line of stdin, without its line ending.
func readLine(stdin io.Reader, what string) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(stdin, maxLineLen+1), maxLineLen+1).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s from standard input: %w", what, err)
	}
	if len(line) > maxLineLen {
		return "", fmt.Errorf("read %s from standard input: longer than %d bytes", what, maxLineLen)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", fmt.Errorf("read %s from standard input: empty", what)
	}
	return line, nil
}

func promptTwice(fd int, prompt io.Writer, what string) (string, error) {
	var entries [2]string
	for i, label := range []string{what, "again"} {
		fmt.Fprintf(prompt, "%s: ", label)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", what, err)
		}
		entries[i] = string(b)
	}
	if entries[0] != entries[1] {
		return "", fmt.Errorf("the two %s entries differ", what)
	}
	return entries[0], nil
}

package main

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlError turns a decoding error of the bootstrap file named name into
// one error per problem, each naming the file and, where the problem lies
// inside a clients or members entry, the entry.
func yamlError(name string, data []byte, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // decoded once already: the syntax is valid
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		line, text := yamlProblem(msg)
		errs = append(errs, fmt.Errorf("%s: %s%s", name, entryAt(&root, line), text))
	}
	return errors.Join(errs...)
}

var (
	linePrefix   = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (.+) not found in type \S+$`)
)

// yamlProblem splits a message of yaml.TypeError into its line number (0
// when absent) and a text in the terms of the file format rather than of
// the Go types it decodes into.
func yamlProblem(msg string) (line int, text string) {
	text = msg
	if m := linePrefix.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		text = m[2]
	}
	if m := unknownField.FindStringSubmatch(text); m != nil {
		text = m[1] + ": unknown field"
	}
	if line > 0 {
		text += fmt.Sprintf(" (line %d)", line)
	}
	return line, text
}

// entryAt returns the label of the clients or members entry that holds the
// given line of the document, followed by ": ", or "" when the line is
// outside every entry.
func entryAt(doc *yaml.Node, line int) string {
	if line == 0 || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return ""
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, list := top.Content[i].Value, top.Content[i+1]
		if list.Kind != yaml.SequenceNode || (key != "clients" && key != "members") {
			continue
		}
		end := math.MaxInt // the line of the next top-level key
		if i+2 < len(top.Content) {
			end = top.Content[i+2].Line
		}
		for j := len(list.Content) - 1; j >= 0; j-- {
			if item := list.Content[j]; line >= item.Line && line < end {
				return fmt.Sprintf("%s[%d] (%s): ", key, j, scalarAt(item, entryKey[key]))
			}
			end = min(end, list.Content[j].Line)
		}
	}
	return ""
}

// entryKey names the field that identifies an entry in messages.
var entryKey = map[string]string{"clients": "id", "members": "email"}

// scalarAt returns the scalar value under key in the mapping m, or "".
func scalarAt(m *yaml.Node, key string) string {
	if m.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value
		}
	}
	return ""
}

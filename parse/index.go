package parse

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// An Entry is what the index knows of one attribute: where its key and its
// value are, and the raw YAML node of the value (before interpolation).
type Entry struct {
	Key   Span // the mapping key; zero for list items and the document root
	Value Span
	Node  *yaml.Node
}

// Span returns the key's span when there is one, else the value's.
func (e Entry) Span() Span {
	if e.Key.Start.Line > 0 {
		return e.Key
	}
	return e.Value
}

// An Index maps attribute paths of one YAML file to positions. Paths join
// mapping keys with "." and give list items their 0-based index:
// "services.web.ports.0". The empty path is the document root.
type Index struct {
	File    string // display path, as in Span.File
	entries map[string]Entry
}

// maxIndexEntries bounds the work done on hostile input (alias bombs through
// merge keys, huge generated files). Past it, lookups fall back to ancestors.
const maxIndexEntries = 200_000

// NewIndex indexes the YAML document root (a DocumentNode or its content).
// It never expands aliases except through merge keys ("<<"), whose mapped
// keys are recorded under the merging mapping, as YAML merges them.
func NewIndex(file string, root *yaml.Node) *Index {
	ix := &Index{File: file, entries: map[string]Entry{}}
	if root == nil {
		return ix
	}
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return ix
		}
		root = root.Content[0]
	}
	ix.entries[""] = Entry{Value: ix.nodeSpan(root), Node: root}
	ix.walk("", root, 0)
	return ix
}

func (ix *Index) walk(path string, n *yaml.Node, depth int) {
	if depth > 200 || len(ix.entries) >= maxIndexEntries {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		// Explicit keys first, merge keys after: a key the mapping sets
		// itself wins over a merged one even when "<<" comes first, as in
		// YAML (merge skips what is already indexed).
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag != "!!str" {
				merges = append(merges, v)
				continue
			}
			p := join(path, k.Value)
			if _, dup := ix.entries[p]; dup {
				continue
			}
			ix.entries[p] = Entry{Key: ix.nodeSpan(k), Value: ix.nodeSpan(v), Node: v}
			ix.walk(p, v, depth+1)
		}
		for _, v := range merges {
			ix.merge(path, v, depth)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := join(path, strconv.Itoa(i))
			ix.entries[p] = Entry{Value: ix.nodeSpan(v), Node: v}
			ix.walk(p, v, depth+1)
		}
	}
}

// merge records the keys a merge key brings in, where the mapping does not
// set them itself (explicit keys win, whatever their order).
func (ix *Index) merge(path string, v *yaml.Node, depth int) {
	var srcs []*yaml.Node
	switch v.Kind {
	case yaml.AliasNode:
		srcs = append(srcs, v.Alias)
	case yaml.MappingNode:
		srcs = append(srcs, v)
	case yaml.SequenceNode:
		for _, e := range v.Content {
			if e.Kind == yaml.AliasNode {
				srcs = append(srcs, e.Alias)
			}
		}
	}
	for _, src := range srcs {
		if src == nil || src.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(src.Content); i += 2 {
			k, val := src.Content[i], src.Content[i+1]
			if k.Value == "<<" {
				if depth < 8 {
					ix.merge(path, val, depth+1)
				}
				continue
			}
			p := join(path, k.Value)
			if _, set := ix.entries[p]; set {
				continue
			}
			// Positions point at the anchored definition: that is where
			// the value was written.
			ix.entries[p] = Entry{Key: ix.nodeSpan(k), Value: ix.nodeSpan(val), Node: val}
			ix.walk(p, val, depth+1)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (ix *Index) nodeSpan(n *yaml.Node) Span {
	s := Span{File: ix.File, Start: Pos{n.Line, n.Column}}
	width := 1
	switch {
	case n.Kind == yaml.ScalarNode && !strings.ContainsAny(n.Value, "\n"):
		width = utf8.RuneCountInString(n.Value)
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			width += 2
		}
	case n.Kind == yaml.AliasNode:
		width = 1 + utf8.RuneCountInString(n.Value)
	}
	if width < 1 {
		width = 1
	}
	s.End = Pos{n.Line, n.Column + width}
	return s
}

// Lookup returns the entry at path exactly.
func (ix *Index) Lookup(path string) (Entry, bool) {
	if ix == nil {
		return Entry{}, false
	}
	e, ok := ix.entries[path]
	return e, ok
}

// Find returns the entry at path or, when the file does not spell that path
// out (it came from a merge, extends, include or a default), at its nearest
// ancestor that it does. A "[]" segment, as compose-go writes list items in
// tree paths, stands for the first item. ok is false when not even the root
// is known.
func (ix *Index) Find(path string) (e Entry, ok bool) {
	if ix == nil {
		return Entry{}, false
	}
	path = strings.ReplaceAll(path, "[]", "0")
	for {
		if e, ok := ix.entries[path]; ok {
			return e, true
		}
		if path == "" {
			return Entry{}, false
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			path = ""
		} else {
			path = path[:i]
		}
	}
}

// Paths calls fn for every indexed path with its entry, in no fixed order.
func (ix *Index) Paths(fn func(path string, e Entry)) {
	if ix == nil {
		return
	}
	for p, e := range ix.entries {
		fn(p, e)
	}
}

package parse

import (
	"fmt"

	"go.yaml.in/yaml/v4"
)

// Limits on the shape of a compose file, checked on modalc's own YAML tree
// before compose-go decodes the file. compose-go v2.16.2 and
// go.yaml.in/yaml/v4 take time quadratic in some dimensions of their input,
// so a small hostile file could stall a pre-commit hook or a CI job for
// minutes (found by FuzzLoad):
//
//   - nesting: per node, compose-go splits the node's path for each
//     transform (2 s at depth 2,000, 14 s for 5,000 nested {a: });
//   - keys in one mapping: yaml/v4 compares every key with every other to
//     find duplicates (35 s for 100,000 keys);
//   - an anchor that refers to itself ("x: &a {<<: *a}"): compose-go walks
//     it to its node visit limit, checking each visit for cycles (18 s for
//     three lines).
//
// A hand-written compose file is far inside these limits.
const (
	maxDepth       = 100     // nested mappings and sequences
	maxMappingKeys = 10_000  // keys in one mapping
	maxNodes       = 100_000 // YAML nodes, aliases not followed (compose-go refuses more visits)
)

// checkShape refuses YAML that would make compose-go slow, with the
// position of the node at fault. It walks the tree once, without following
// aliases.
func checkShape(file string, root *yaml.Node) *Error {
	w := shapeWalker{file: file, open: map[*yaml.Node]bool{}}
	return w.walk(root, 0)
}

type shapeWalker struct {
	file  string
	nodes int
	open  map[*yaml.Node]bool // the nodes being walked: n's ancestors
}

func (w *shapeWalker) walk(n *yaml.Node, depth int) *Error {
	if n == nil {
		return nil
	}
	w.nodes++
	switch {
	case w.nodes > maxNodes:
		return w.errorAt(n, fmt.Sprintf("the file has more than %d YAML nodes; modalc reads at most that many", maxNodes), "")
	case depth > maxDepth:
		return w.errorAt(n, fmt.Sprintf("values are nested more than %d deep; modalc reads at most that", maxDepth), "")
	case n.Kind == yaml.AliasNode:
		if w.open[n.Alias] {
			return &Error{Kind: ErrSyntax, Span: w.span(n),
				Msg:  fmt.Sprintf("invalid YAML: alias *%s refers to the value that contains it", n.Value),
				Hint: "an anchor cannot include itself; move the alias out of the anchored value"}
		}
		return nil
	case n.Kind == yaml.MappingNode && len(n.Content)/2 > maxMappingKeys:
		return w.errorAt(n, fmt.Sprintf("a mapping has %d keys; modalc reads at most %d in one mapping", len(n.Content)/2, maxMappingKeys), "")
	}
	if len(n.Content) == 0 {
		return nil
	}
	w.open[n] = true
	defer delete(w.open, n)
	for _, c := range n.Content {
		if e := w.walk(c, depth+1); e != nil {
			return e
		}
	}
	return nil
}

func (w *shapeWalker) errorAt(n *yaml.Node, msg, hint string) *Error {
	if hint == "" {
		hint = "point modalc at a hand-written compose file"
	}
	return &Error{Kind: ErrTooLarge, Span: w.span(n), Msg: msg, Hint: hint}
}

func (w *shapeWalker) span(n *yaml.Node) Span {
	p := Pos{n.Line, n.Column}
	if p.Line == 0 {
		p = Pos{1, 1}
	}
	return Span{File: w.file, Start: p, End: Pos{p.Line, p.Column + 1}}
}

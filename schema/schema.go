// Package schema holds x-modal.json, the JSON Schema (draft 2020-12) of the
// top-level x-modal block of a compose file, and checks a decoded block
// against it.
//
// It owns the schema file (embedded, served by "modalc schema" and usable by
// editors) and the wording of schema violations. It knows nothing of files,
// positions, diagnostic codes or compose: package validate turns each Problem
// into a positioned diagnostic, adds did-you-mean hints, and runs the checks a
// schema cannot express (CIDR syntax, GPU types and counts, conflicts between
// keys). It compiles the schema lazily, on first use: start-up time matters.
package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// JSON is the schema document, x-modal.json, exactly as shipped.
//
//go:embed x-modal.json
var JSON []byte

// ID is the schema's $id. It is only a name: nothing is fetched from it.
const ID = "https://modalc.dev/schema/x-modal.json"

// A Problem is one schema violation, in modalc's words.
type Problem struct {
	// Path is the instance location inside x-modal, e.g. ["encrypted_ports", "2"]
	// (list indexes are 0-based, in decimal); empty means the block itself.
	Path []string
	// Key is true when the problem is about the key itself (an unknown key)
	// rather than its value; point at the key, not the value.
	Key bool
	// Message is lower-case, without a final period, and starts with the
	// place, e.g. `timeout: must be an integer from 1 to 86400, got 0` or
	// `unknown key "timout"`.
	Message string
}

// compiled is built on first use, never at package init: every modalc
// command links this package, and most never check an x-modal block.
var compiled = sync.OnceValues(func() (*checker, error) { return compile(JSON) })

// Validate checks v, the x-modal value as decoded from YAML or JSON
// (map[string]any, []any, string, any Go integer or float, json.Number,
// bool, nil; map[any]any and typed maps and slices are accepted too) and
// returns its problems sorted by path, or nil when it is valid. A null block
// and every null key are valid: null means "no override".
//
// The error is for failures of the program, not of the input: a Go value no
// YAML or JSON decoder produces, or a schema that does not compile.
func Validate(v any) ([]Problem, error) {
	c, err := compiled()
	if err != nil {
		return nil, err
	}
	return c.validate(v)
}

// Keys returns the keys the schema knows, sorted, for did-you-mean hints.
func Keys() []string {
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(JSON, &doc); err != nil {
		panic("schema: embedded x-modal.json: " + err.Error()) // a build defect; TestSchemaCompiles catches it
	}
	keys := make([]string, 0, len(doc.Properties))
	for k := range doc.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// A checker is a compiled schema plus every subschema by location, so that an
// error's SchemaURL leads back to what was expected there.
type checker struct {
	root  *jsonschema.Schema
	byLoc map[string]*jsonschema.Schema
}

func compile(doc []byte) (*checker, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("schema: x-modal.json: %w", err)
	}
	id := ID
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["$id"].(string); ok {
			id = s
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat() // custom_domain is a "hostname"; 2020-12 treats format as a mere annotation otherwise
	if err := c.AddResource(id, v); err != nil {
		return nil, fmt.Errorf("schema: x-modal.json: %w", err)
	}
	root, err := c.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("schema: x-modal.json: %w", err)
	}
	ch := &checker{root: root, byLoc: map[string]*jsonschema.Schema{}}
	ch.index(root)
	return ch, nil
}

// index records s and every subschema reachable from it by location.
func (c *checker) index(s *jsonschema.Schema) {
	if s == nil || c.byLoc[s.Location] != nil {
		return
	}
	c.byLoc[s.Location] = s
	for _, sub := range s.Properties {
		c.index(sub)
	}
	for _, sub := range s.PatternProperties {
		c.index(sub)
	}
	if sub, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
		c.index(sub)
	}
	if sub, ok := s.Items.(*jsonschema.Schema); ok {
		c.index(sub)
	}
	for _, list := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
		for _, sub := range list {
			c.index(sub)
		}
	}
	for _, sub := range []*jsonschema.Schema{s.Ref, s.Items2020, s.Not, s.If, s.Then, s.Else, s.Contains} {
		c.index(sub)
	}
}

func (c *checker) validate(v any) ([]Problem, error) {
	inst, err := normalize(v)
	if err != nil {
		return nil, err
	}
	err = c.root.Validate(inst)
	if err == nil {
		return nil, nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return nil, fmt.Errorf("schema: %w", err)
	}
	t := translator{c: c, inst: inst, seen: map[string]bool{}}
	t.walk(verr)
	slices.SortStableFunc(t.problems, compareProblems)
	return t.problems, nil
}

// normalize copies v into the types jsonschema/v6 understands: map[string]any,
// []any, string, bool, nil, int64, uint64, float64 and json.Number. YAML
// decoders differ in what they produce (int or uint64, map[any]any). A
// time.Time (an unquoted YAML timestamp) and a NaN or infinite float (.nan,
// .inf) are kept: the validator rejects them as values, which they are.
func normalize(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, int64, uint64, float64, json.Number, time.Time:
		return v, nil
	case int:
		return int64(v), nil
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			m[k] = n
		}
		return m, nil
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			l[i] = n
		}
		return l, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint(), nil
	case reflect.Float32:
		// Through its shortest decimal form: float32(0.1) is 0.1, not 0.10000000149011612.
		return strconv.ParseFloat(strconv.FormatFloat(rv.Float(), 'g', -1, 32), 64)
	case reflect.Float64:
		return rv.Float(), nil
	case reflect.Slice, reflect.Array:
		l := make([]any, rv.Len())
		for i := range l {
			n, err := normalize(rv.Index(i).Interface())
			if err != nil {
				return nil, err
			}
			l[i] = n
		}
		return l, nil
	case reflect.Map:
		m := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			k := it.Key()
			for k.Kind() == reflect.Interface && !k.IsNil() {
				k = k.Elem()
			}
			var name string
			if k.Kind() == reflect.String {
				name = k.String()
			} else {
				name = fmt.Sprint(k.Interface()) // YAML allows `1: x`; the key is then unknown
			}
			n, err := normalize(it.Value().Interface())
			if err != nil {
				return nil, err
			}
			m[name] = n
		}
		return m, nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return normalize(rv.Elem().Interface())
	}
	return nil, fmt.Errorf("schema: cannot check a Go value of type %T", v)
}

// A translator turns the validator's error tree into Problems, one per
// instance location.
type translator struct {
	c        *checker
	inst     any
	problems []Problem
	seen     map[string]bool // path and Key already reported
}

func (t *translator) walk(e *jsonschema.ValidationError) {
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		for _, c := range e.Causes {
			t.walk(c)
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			t.add(append(slices.Clone(e.InstanceLocation), p), true, fmt.Sprintf("unknown key %q", p))
		}
	case *kind.FalseSchema:
		if n := len(e.InstanceLocation); n > 0 && t.inObject(e.InstanceLocation) {
			t.add(e.InstanceLocation, true, fmt.Sprintf("unknown key %q", e.InstanceLocation[n-1]))
		} else {
			t.mismatch(e, true)
		}
	case *kind.AnyOf:
		t.alternatives(e)
	case *kind.OneOf:
		if k.Subschemas != nil { // more than one matched
			val, _ := lookup(t.inst, e.InstanceLocation)
			var alts []string
			for _, n := range t.c.nouns(t.c.byLoc[e.SchemaURL]) {
				alts = append(alts, n.one)
			}
			t.add(e.InstanceLocation, false, fmt.Sprintf("%s: %s matches more than one of: %s",
				t.place(e.InstanceLocation), describe(val, false), strings.Join(alts, "; ")))
		} else {
			t.alternatives(e)
		}
	case *kind.Type, *kind.InvalidJsonValue:
		t.mismatch(e, true)
	default: // minimum, maximum, enum, pattern, format, minLength, ...
		t.mismatch(e, false)
	}
}

// alternatives reports an anyOf or oneOf in which no branch matched. The
// branches that rejected the value's type say nothing useful: when one branch
// took the type (a list, in "a string or a list of strings"), its own errors
// are the ones to report; when none did, one message lists every alternative.
func (t *translator) alternatives(e *jsonschema.ValidationError) {
	for _, b := range e.Causes {
		if !typeRejected(b, len(e.InstanceLocation)) {
			t.walk(b)
			return
		}
	}
	t.mismatch(e, true)
}

// typeRejected reports whether e, a branch's error, is only that the value at
// depth has the wrong type.
func typeRejected(e *jsonschema.ValidationError, depth int) bool {
	switch k := e.ErrorKind.(type) {
	case *kind.Type, *kind.InvalidJsonValue, *kind.FalseSchema:
		return len(e.InstanceLocation) == depth
	case *kind.Group, *kind.Reference, *kind.AllOf:
		return slices.ContainsFunc(e.Causes, func(c *jsonschema.ValidationError) bool { return typeRejected(c, depth) })
	case *kind.AnyOf:
		return !slices.ContainsFunc(e.Causes, func(c *jsonschema.ValidationError) bool { return !typeRejected(c, depth) })
	case *kind.OneOf:
		return k.Subschemas == nil && !slices.ContainsFunc(e.Causes, func(c *jsonschema.ValidationError) bool { return !typeRejected(c, depth) })
	}
	return false
}

// mismatch reports the value at e's location: "<place>: must be <what the
// schema there expects>, got <the value>". When the value has the wrong type,
// every alternative is listed; otherwise only the one for its type, with its
// rule.
func (t *translator) mismatch(e *jsonschema.ValidationError, wrongType bool) {
	val, _ := lookup(t.inst, e.InstanceLocation)
	s := t.c.byLoc[e.SchemaURL]
	var want string
	if wrongType {
		var alts []string
		for _, n := range t.c.nouns(s) {
			alts = append(alts, n.one)
		}
		want = orList(alts)
	} else if n, ok := t.c.nounFor(s, val); ok {
		want = n.one + n.rule
	}
	place := t.place(e.InstanceLocation)
	if want == "" {
		t.add(e.InstanceLocation, false, fmt.Sprintf("%s: %s is not allowed here", place, describe(val, true)))
		return
	}
	t.add(e.InstanceLocation, false, fmt.Sprintf("%s: must be %s, got %s", place, want, describe(val, wrongType)))
}

func (t *translator) add(path []string, key bool, msg string) {
	id := strings.Join(path, "\x00") + "\x00" + strconv.FormatBool(key)
	if t.seen[id] {
		return // one problem per place: a hostname can fail both its format and its pattern
	}
	t.seen[id] = true
	if path == nil {
		path = []string{}
	}
	t.problems = append(t.problems, Problem{Path: slices.Clone(path), Key: key, Message: msg})
}

// place renders a path as the user would write it, relative to x-modal:
// "timeout", "encrypted_ports[2]"; the block itself is "x-modal".
func (t *translator) place(path []string) string {
	if len(path) == 0 {
		return "x-modal"
	}
	var b strings.Builder
	cur := t.inst
	for i, p := range path {
		switch c := cur.(type) {
		case []any:
			b.WriteString("[" + p + "]")
			if n, err := strconv.Atoi(p); err == nil && n >= 0 && n < len(c) {
				cur = c[n]
			}
			continue
		case map[string]any:
			cur = c[p]
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// inObject reports whether path ends in a mapping key.
func (t *translator) inObject(path []string) bool {
	parent, ok := lookup(t.inst, path[:len(path)-1])
	_, isMap := parent.(map[string]any)
	return ok && isMap
}

func lookup(v any, path []string) (any, bool) {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			e, ok := c[p]
			if !ok {
				return nil, false
			}
			v = e
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n >= len(c) {
				return nil, false
			}
			v = c[n]
		default:
			return nil, false
		}
	}
	return v, true
}

// A noun says what one kind of value must be: one, in "must be <one>"; many,
// in "a list of <many>"; rule, appended when a value of the right type breaks
// it.
type noun struct {
	jsonType string // "string", "integer", ...; what a value must be to be judged by rule
	one      string
	many     string
	rule     string
}

// stringNouns name the strings whose pattern or format is no use to a reader,
// by the top-level key they sit under. TestStringNouns checks that every
// pattern and format in the schema has one.
var stringNouns = map[string]noun{
	"gpu":           {one: `a GPU as TYPE or TYPE:COUNT, such as "H100" or "A100:2"`, many: "GPUs"},
	"secrets":       {one: "a Modal secret name", many: "Modal secret names", rule: ` (1 to 64 letters, digits, ".", "_" or "-")`},
	"custom_domain": {one: `a hostname such as "sandbox.example.com"`, many: "hostnames"},
}

// nouns lists what s accepts, null aside: "an integer from 1 to 86400", "a
// string", "a list of integers from 1 to 65535".
func (c *checker) nouns(s *jsonschema.Schema) []noun {
	if s == nil {
		return nil
	}
	var out []noun
	addNoun := func(n noun) {
		if !slices.ContainsFunc(out, func(o noun) bool { return o.one == n.one }) {
			out = append(out, n)
		}
	}
	if s.Enum != nil {
		var vals []string
		for _, v := range s.Enum.Values {
			if w, ok := v.(string); ok && plainWord(w) {
				vals = append(vals, w) // as the user writes it in YAML: aws, not "aws"
			} else if v != nil {
				vals = append(vals, display(v))
			}
		}
		jt := ""
		if len(s.Enum.Values) > 0 {
			jt = jsonType(s.Enum.Values[0])
		}
		if len(vals) == 1 {
			addNoun(noun{jsonType: jt, one: vals[0], many: vals[0]})
		} else if len(vals) > 1 {
			addNoun(noun{jsonType: jt, one: "one of " + orList(vals), many: "values from " + orList(vals)})
		}
	} else if s.Types != nil {
		for _, typ := range s.Types.ToStrings() {
			switch typ {
			case "boolean":
				addNoun(noun{jsonType: typ, one: "true or false", many: "booleans"})
			case "integer", "number":
				r := numRange(s)
				addNoun(noun{jsonType: typ, one: article(typ) + " " + typ + r, many: typ + "s" + r})
			case "string":
				addNoun(c.stringNoun(s))
			case "array":
				var items []string
				if it, ok := s.Items.(*jsonschema.Schema); ok {
					for _, n := range c.nouns(it) {
						items = append(items, n.many)
					}
				}
				for _, n := range c.nouns(s.Items2020) {
					items = append(items, n.many)
				}
				if len(items) == 0 {
					addNoun(noun{jsonType: typ, one: "a list", many: "lists"})
				} else {
					addNoun(noun{jsonType: typ, one: "a list of " + orList(items), many: "lists of " + orList(items)})
				}
			case "object":
				addNoun(noun{jsonType: typ, one: "a mapping", many: "mappings"})
			}
		}
	}
	if s.Ref != nil && s.Types == nil && s.Enum == nil {
		for _, n := range c.nouns(s.Ref) {
			addNoun(n)
		}
	}
	for _, list := range [][]*jsonschema.Schema{s.AnyOf, s.OneOf} {
		for _, b := range list {
			for _, n := range c.nouns(b) {
				addNoun(n)
			}
		}
	}
	return out
}

// nounFor returns the one of s's nouns that judges val, by val's type.
func (c *checker) nounFor(s *jsonschema.Schema, val any) (noun, bool) {
	jt := jsonType(val)
	for _, n := range c.nouns(s) {
		if n.jsonType == jt || (n.jsonType == "integer" && jt == "number") || (n.jsonType == "number" && jt == "integer") {
			return n, true
		}
	}
	return noun{}, false
}

func (c *checker) stringNoun(s *jsonschema.Schema) noun {
	n, ok := stringNouns[topKey(s.Location)]
	switch {
	case ok && (s.Pattern != nil || s.Format != nil):
	case s.Pattern != nil:
		n = noun{one: "a string matching " + s.Pattern.String(), many: "strings matching " + s.Pattern.String()}
	case s.Format != nil:
		n = noun{one: "a " + s.Format.Name, many: s.Format.Name + "s"}
	case s.MinLength != nil && *s.MinLength > 0:
		n = noun{one: "a non-empty string", many: "non-empty strings"}
	default:
		n = noun{one: "a string", many: "strings"}
	}
	if s.MaxLength != nil && n.rule == "" {
		n.rule = fmt.Sprintf(" of at most %d characters", *s.MaxLength)
	}
	n.jsonType = "string"
	return n
}

// topKey returns the top-level property a schema location is under:
// ".../x-modal.json#/properties/secrets/items" → "secrets".
func topKey(loc string) string {
	_, frag, _ := strings.Cut(loc, "#")
	rest, ok := strings.CutPrefix(frag, "/properties/")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return strings.ReplaceAll(strings.ReplaceAll(key, "~1", "/"), "~0", "~")
}

// numRange renders s's bounds: " from 1 to 86400", " of at least 1", "".
func numRange(s *jsonschema.Schema) string {
	lo, hi := s.Minimum, s.Maximum
	if s.ExclusiveMinimum != nil && s.ExclusiveMinimum.IsInt() {
		lo = new(big.Rat).Add(s.ExclusiveMinimum, big.NewRat(1, 1))
	}
	if s.ExclusiveMaximum != nil && s.ExclusiveMaximum.IsInt() {
		hi = new(big.Rat).Sub(s.ExclusiveMaximum, big.NewRat(1, 1))
	}
	switch {
	case lo != nil && hi != nil:
		return " from " + ratString(lo) + " to " + ratString(hi)
	case lo != nil:
		return " of at least " + ratString(lo)
	case hi != nil:
		return " of at most " + ratString(hi)
	}
	return ""
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(6)
}

// plainWord reports whether s needs no quotes in a message: aws, us-east-1.
func plainWord(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.')
	})
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// orList joins alternatives: "a", "a or b", "a, b or c".
func orList(alts []string) string {
	if len(alts) <= 1 {
		return strings.Join(alts, "")
	}
	return strings.Join(alts[:len(alts)-1], ", ") + " or " + alts[len(alts)-1]
}

// jsonType names v's JSON type; a whole number is an "integer".
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case int64, uint64:
		return "integer"
	case float64:
		if v == math.Trunc(v) && !math.IsInf(v, 0) {
			return "integer"
		}
		return "number"
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(v)); ok && r.IsInt() {
			return "integer"
		}
		return "number"
	}
	return ""
}

// describe renders a value for "got …". With withType, scalars also say what
// they are, since `secrets: 5` and `secrets: "5"` look alike in YAML.
func describe(v any, withType bool) string {
	var what string
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case string:
		what = "a string"
	case time.Time:
		return "a timestamp (" + display(v) + ")"
	default:
		what = "a number"
	}
	if withType {
		return what + " (" + display(v) + ")"
	}
	return display(v)
}

// display renders a scalar as the user wrote it, near enough: strings quoted
// (and cut short), numbers in decimal, .inf and .nan as in YAML.
func display(v any) string {
	switch v := v.(type) {
	case string:
		if r := []rune(v); len(r) > 40 {
			v = string(r[:37]) + "..."
		}
		return strconv.Quote(v)
	case float64:
		switch {
		case math.IsNaN(v):
			return ".nan"
		case math.IsInf(v, 1):
			return ".inf"
		case math.IsInf(v, -1):
			return "-.inf"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case float32:
		return display(float64(v))
	case time.Time:
		if v.Equal(v.Truncate(24*time.Hour)) && v.Location() == time.UTC {
			return v.Format(time.DateOnly)
		}
		return v.Format(time.RFC3339Nano)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// compareProblems orders by path (list indexes as numbers), the key before
// its value, then message.
func compareProblems(a, b Problem) int {
	for i := 0; i < len(a.Path) && i < len(b.Path); i++ {
		if c := comparePathElem(a.Path[i], b.Path[i]); c != 0 {
			return c
		}
	}
	if c := len(a.Path) - len(b.Path); c != 0 {
		return c
	}
	if a.Key != b.Key {
		if a.Key {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Message, b.Message)
}

func comparePathElem(a, b string) int {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	if errA == nil && errB == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

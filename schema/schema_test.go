package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/modalc/modalc/internal/golden"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Every test package imports internal/golden, so go test ./... -update works.
var _ = golden.Update

// want is one expected Problem: its path, whether it is about the key, and a
// piece of its message.
type want struct {
	path []string
	key  bool
	msg  string
}

func p(msg string, path ...string) want { return want{path: path, msg: msg} }

func checkProblems(t *testing.T, got []Problem, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(wants), dump(got))
	}
	for i, w := range wants {
		g := got[i]
		if w.path == nil {
			w.path = []string{}
		}
		if !slices.Equal(g.Path, w.path) || g.Key != w.key || !strings.Contains(g.Message, w.msg) {
			t.Errorf("problem %d:\n got  %q key=%v %q\n want %q key=%v containing %q", i, g.Path, g.Key, g.Message, w.path, w.key, w.msg)
		}
	}
}

func dump(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %q key=%v %s\n", p.Path, p.Key, p.Message)
	}
	return b.String()
}

// full is a block that sets every key.
func full() map[string]any {
	return map[string]any{
		"timeout":           3600,
		"idle_timeout":      600,
		"gpu":               "a100-80gb:2",
		"cloud":             "aws",
		"region":            []any{"us-east-1", "us-west-2"},
		"block_network":     false,
		"cidr_allowlist":    []any{"10.0.0.0/8", "192.168.1.0/24"},
		"secrets":           []any{"openai", "hf_token.v2"},
		"pty":               true,
		"encrypted_ports":   []any{443, 8080},
		"h2_ports":          []any{50051},
		"unencrypted_ports": []any{1, 65535},
		"custom_domain":     "sandbox.example.com",
		"verbose":           false,
	}
}

func with(key string, v any) map[string]any {
	m := full()
	m[key] = v
	return m
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want []want
	}{
		// valid
		{"null block", nil, nil},
		{"empty block", map[string]any{}, nil},
		{"full block", full(), nil},
		{"bounds", map[string]any{"timeout": 1, "idle_timeout": 86400, "encrypted_ports": []any{1, 65535}}, nil},
		{"single region", map[string]any{"region": "us-east"}, nil},
		{"single secret", map[string]any{"secrets": "my-keys"}, nil},
		{"secret of 64", map[string]any{"secrets": strings.Repeat("s", 64)}, nil},
		{"empty lists", map[string]any{"region": []any{}, "secrets": []any{}, "cidr_allowlist": []any{}, "h2_ports": []any{}}, nil},
		{"gpu type only", map[string]any{"gpu": "H100!"}, nil},
		{"gpu unknown type is not the schema's business", map[string]any{"gpu": "Z9000:3"}, nil},
		{"gpu count out of range is not the schema's business", map[string]any{"gpu": "A10:9"}, nil},
		{"cidr syntax is not the schema's business", map[string]any{"cidr_allowlist": []any{"not-a-cidr"}}, nil},
		{"whole float", map[string]any{"timeout": 60.0}, nil},
		{"trailing dot hostname", map[string]any{"custom_domain": "example.com."}, nil},

		// the block itself
		{"block is a list", []any{"timeout"}, []want{p("x-modal: must be a mapping, got a list")}},
		{"block is a string", "yes", []want{p(`x-modal: must be a mapping, got a string ("yes")`)}},
		{"block is a number", 1, []want{p("x-modal: must be a mapping, got a number (1)")}},

		// wrong types, one per key
		{"timeout string", with("timeout", "60s"), []want{p(`timeout: must be an integer from 1 to 86400, got a string ("60s")`, "timeout")}},
		{"timeout fraction", with("timeout", 1.5), []want{p("timeout: must be an integer from 1 to 86400, got a number (1.5)", "timeout")}},
		{"idle_timeout bool", with("idle_timeout", true), []want{p("idle_timeout: must be an integer from 1 to 86400, got true", "idle_timeout")}},
		{"gpu number", with("gpu", 1), []want{p(`gpu: must be a GPU as TYPE or TYPE:COUNT, such as "H100" or "A100:2", got a number (1)`, "gpu")}},
		{"gpu list", with("gpu", []any{"H100"}), []want{p("gpu: must be a GPU as TYPE or TYPE:COUNT, such as \"H100\" or \"A100:2\", got a list", "gpu")}},
		{"cloud list", with("cloud", []any{"aws"}), []want{p("cloud: must be one of aws, gcp, oci or auto, got a list", "cloud")}},
		{"region number", with("region", 1), []want{p("region: must be a non-empty string or a list of non-empty strings, got a number (1)", "region")}},
		{"region mapping", with("region", map[string]any{"us": 1}), []want{p("region: must be a non-empty string or a list of non-empty strings, got a mapping", "region")}},
		{"block_network yes", with("block_network", "yes"), []want{p(`block_network: must be true or false, got a string ("yes")`, "block_network")}},
		{"block_network 1", with("block_network", 1), []want{p("block_network: must be true or false, got a number (1)", "block_network")}},
		{"cidr_allowlist string", with("cidr_allowlist", "10.0.0.0/8"), []want{p(`cidr_allowlist: must be a list of strings, got a string ("10.0.0.0/8")`, "cidr_allowlist")}},
		{"cidr_allowlist item", with("cidr_allowlist", []any{"10.0.0.0/8", 10}), []want{p("cidr_allowlist[1]: must be a string, got a number (10)", "cidr_allowlist", "1")}},
		{"secrets number", with("secrets", 5), []want{p("secrets: must be a Modal secret name or a list of Modal secret names, got a number (5)", "secrets")}},
		{"secrets mapping", with("secrets", map[string]any{"openai": "sk-..."}), []want{p("secrets: must be a Modal secret name or a list of Modal secret names, got a mapping", "secrets")}},
		{"secrets item number", with("secrets", []any{"ok", 5}), []want{p("secrets[1]: must be a Modal secret name, got a number (5)", "secrets", "1")}},
		{"pty string", with("pty", "true"), []want{p(`pty: must be true or false, got a string ("true")`, "pty")}},
		{"encrypted_ports number", with("encrypted_ports", 8080), []want{p("encrypted_ports: must be a list of integers from 1 to 65535, got a number (8080)", "encrypted_ports")}},
		{"h2_ports string", with("h2_ports", "8080:80"), []want{p(`h2_ports: must be a list of integers from 1 to 65535, got a string ("8080:80")`, "h2_ports")}},
		{"unencrypted_ports item string", with("unencrypted_ports", []any{"5432"}), []want{p(`unencrypted_ports[0]: must be an integer from 1 to 65535, got a string ("5432")`, "unencrypted_ports", "0")}},
		{"ports item null", with("encrypted_ports", []any{nil}), []want{p("encrypted_ports[0]: must be an integer from 1 to 65535, got null", "encrypted_ports", "0")}},
		{"custom_domain number", with("custom_domain", 42), []want{p(`custom_domain: must be a hostname such as "sandbox.example.com", got a number (42)`, "custom_domain")}},
		{"verbose list", with("verbose", []any{}), []want{p("verbose: must be true or false, got a list", "verbose")}},

		// out of range
		{"timeout 0", with("timeout", 0), []want{p("timeout: must be an integer from 1 to 86400, got 0", "timeout")}},
		{"timeout negative", with("timeout", -5), []want{p("timeout: must be an integer from 1 to 86400, got -5", "timeout")}},
		{"timeout 86401", with("timeout", 86401), []want{p("timeout: must be an integer from 1 to 86400, got 86401", "timeout")}},
		{"idle_timeout 0", with("idle_timeout", 0), []want{p("idle_timeout: must be an integer from 1 to 86400, got 0", "idle_timeout")}},
		{"timeout inf", with("timeout", math.Inf(1)), []want{p("timeout: must be an integer from 1 to 86400, got a number (.inf)", "timeout")}},
		{"timeout nan", with("timeout", math.NaN()), []want{p("timeout: must be an integer from 1 to 86400, got a number (.nan)", "timeout")}},
		{"port 0 and 70000", with("encrypted_ports", []any{0, 80, 70000}), []want{
			p("encrypted_ports[0]: must be an integer from 1 to 65535, got 0", "encrypted_ports", "0"),
			p("encrypted_ports[2]: must be an integer from 1 to 65535, got 70000", "encrypted_ports", "2"),
		}},
		{"h2 port fraction", with("h2_ports", []any{80.5}), []want{p("h2_ports[0]: must be an integer from 1 to 65535, got a number (80.5)", "h2_ports", "0")}},

		// enum
		{"cloud azure", with("cloud", "azure"), []want{p(`cloud: must be one of aws, gcp, oci or auto, got "azure"`, "cloud")}},
		{"cloud upper case", with("cloud", "AWS"), []want{p(`cloud: must be one of aws, gcp, oci or auto, got "AWS"`, "cloud")}},
		{"cloud number", with("cloud", 1), []want{p("cloud: must be one of aws, gcp, oci or auto, got a number (1)", "cloud")}},

		// strings with a pattern or format
		{"secret with space", with("secrets", "my secret"), []want{p(`secrets: must be a Modal secret name (1 to 64 letters, digits, ".", "_" or "-"), got "my secret"`, "secrets")}},
		{"secret too long", with("secrets", strings.Repeat("s", 65)), []want{p("secrets: must be a Modal secret name (1 to 64 letters", "secrets")}},
		{"secret empty", with("secrets", ""), []want{p(`secrets: must be a Modal secret name (1 to 64 letters, digits, ".", "_" or "-"), got ""`, "secrets")}},
		{"secret list item", with("secrets", []any{"ok", "not/ok", "fine"}), []want{p(`secrets[1]: must be a Modal secret name (1 to 64 letters, digits, ".", "_" or "-"), got "not/ok"`, "secrets", "1")}},
		{"gpu with space", with("gpu", "A100 x2"), []want{p(`gpu: must be a GPU as TYPE or TYPE:COUNT, such as "H100" or "A100:2", got "A100 x2"`, "gpu")}},
		{"gpu empty count", with("gpu", "H100:"), []want{p(`gpu: must be a GPU as TYPE or TYPE:COUNT, such as "H100" or "A100:2", got "H100:"`, "gpu")}},
		{"gpu empty", with("gpu", ""), []want{p(`got ""`, "gpu")}},
		{"region empty", with("region", ""), []want{p(`region: must be a non-empty string, got ""`, "region")}},
		{"region item empty", with("region", []any{"us-east-1", ""}), []want{p(`region[1]: must be a non-empty string, got ""`, "region", "1")}},
		{"custom_domain url", with("custom_domain", "https://sandbox.example.com"), []want{p(`custom_domain: must be a hostname such as "sandbox.example.com", got "https://sandbox.example.com"`, "custom_domain")}},
		{"custom_domain hyphen", with("custom_domain", "-x.example.com"), []want{p(`got "-x.example.com"`, "custom_domain")}},
		{"custom_domain too long", with("custom_domain", strings.Repeat("a.", 130)+"com"), []want{p("custom_domain: must be a hostname", "custom_domain")}},
		{"long value cut short", with("secrets", strings.Repeat("x", 30)+" "+strings.Repeat("y", 30)), []want{p(`got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx yyyyyy..."`, "secrets")}},

		// unknown keys
		{"misspelt key", with("timout", 60), []want{{path: []string{"timout"}, key: true, msg: `unknown key "timout"`}}},
		{"unknown keys, sorted", map[string]any{"zzz": 1, "timeout": 0, "Timeout": 5, "proxy": "p", "volumes": nil, "network_file_systems": map[string]any{}}, []want{
			{path: []string{"Timeout"}, key: true, msg: `unknown key "Timeout"`},
			{path: []string{"network_file_systems"}, key: true, msg: `unknown key "network_file_systems"`},
			{path: []string{"proxy"}, key: true, msg: `unknown key "proxy"`},
			p("timeout: must be an integer from 1 to 86400, got 0", "timeout"),
			{path: []string{"volumes"}, key: true, msg: `unknown key "volumes"`},
			{path: []string{"zzz"}, key: true, msg: `unknown key "zzz"`},
		}},
		{"non-string key", map[any]any{1: "x", "timeout": 60}, []want{{path: []string{"1"}, key: true, msg: `unknown key "1"`}}},

		// many at once, sorted by path with list indexes as numbers
		{"many", map[string]any{
			"verbose":         "no",
			"encrypted_ports": []any{1, 2, 0, 4, 5, 6, 7, 8, 9, 10, -1},
			"cloud":           "azure",
		}, []want{
			p(`cloud: must be one of aws, gcp, oci or auto, got "azure"`, "cloud"),
			p("encrypted_ports[2]: must be an integer from 1 to 65535, got 0", "encrypted_ports", "2"),
			p("encrypted_ports[10]: must be an integer from 1 to 65535, got -1", "encrypted_ports", "10"),
			p(`verbose: must be true or false, got a string ("no")`, "verbose"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.want) == 0 && got != nil {
				t.Fatalf("want no problems (and nil), got:\n%s", dump(got))
			}
			checkProblems(t, got, tt.want)
		})
	}
}

func TestValidateNullKeys(t *testing.T) {
	for _, k := range Keys() {
		t.Run(k, func(t *testing.T) {
			got, err := Validate(with(k, nil))
			if err != nil {
				t.Fatal(err)
			}
			if got != nil {
				t.Errorf("%s: null must mean \"no override\", got:\n%s", k, dump(got))
			}
		})
	}
	all := map[string]any{}
	for _, k := range Keys() {
		all[k] = nil
	}
	if got, err := Validate(all); err != nil || got != nil {
		t.Errorf("every key null: %v\n%s", err, dump(got))
	}
}

// TestValidateGoTypes feeds the numbers, maps and lists different YAML and
// JSON decoders produce.
func TestValidateGoTypes(t *testing.T) {
	type myInt int
	type myString string
	nums := []any{60, int8(60), int16(60), int32(60), int64(60), uint(60), uint8(60), uint16(60), uint32(60), uint64(60),
		float32(60), float64(60), json.Number("60"), json.Number("60.0"), myInt(60), new(60)}
	for _, n := range nums {
		t.Run(fmt.Sprintf("ok %T", n), func(t *testing.T) {
			got, err := Validate(map[string]any{"timeout": n, "encrypted_ports": []any{n}})
			if err != nil || got != nil {
				t.Errorf("%v\n%s", err, dump(got))
			}
		})
	}
	zeros := []any{0, int8(0), int32(0), int64(0), uint(0), uint64(0), float32(0), float64(0), json.Number("0"), myInt(0)}
	for _, n := range zeros {
		t.Run(fmt.Sprintf("zero %T", n), func(t *testing.T) {
			got, err := Validate(map[string]any{"timeout": n})
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, got, []want{p("timeout: must be an integer from 1 to 86400, got 0", "timeout")})
		})
	}
	big := []struct {
		v    any
		show string
	}{
		{uint64(math.MaxUint64), "18446744073709551615"},
		{int64(math.MinInt64), "-9223372036854775808"},
		{json.Number("100000000000000000000000"), "100000000000000000000000"},
		{1e21, "1e+21"},
		{float32(0.1), "a number (0.1)"},
	}
	for _, b := range big {
		t.Run(fmt.Sprintf("big %T %v", b.v, b.v), func(t *testing.T) {
			got, err := Validate(map[string]any{"timeout": b.v})
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, got, []want{p("got "+b.show, "timeout")})
		})
	}

	t.Run("typed maps and lists", func(t *testing.T) {
		in := map[any]any{
			"timeout":         uint64(60),
			"secrets":         []string{"a", "b"},
			"encrypted_ports": []int{80, 443},
			"region":          myString("us-east"),
			"cloud":           new("gcp"),
			"gpu":             (*string)(nil),
		}
		got, err := Validate(in)
		if err != nil || got != nil {
			t.Errorf("%v\n%s", err, dump(got))
		}
		got, err = Validate(map[string]string{"timeout": "60"})
		if err != nil {
			t.Fatal(err)
		}
		checkProblems(t, got, []want{p(`timeout: must be an integer from 1 to 86400, got a string ("60")`, "timeout")})
		got, err = Validate(map[string]any{"h2_ports": []int{0}})
		if err != nil {
			t.Fatal(err)
		}
		checkProblems(t, got, []want{p("h2_ports[0]: must be an integer from 1 to 65535, got 0", "h2_ports", "0")})
	})

	t.Run("timestamp", func(t *testing.T) {
		// yaml decoders may turn an unquoted `region: 2024-01-01` into a time.Time
		got, err := Validate(map[string]any{"region": time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		checkProblems(t, got, []want{p("region: must be a non-empty string or a list of non-empty strings, got a timestamp (2024-01-01)", "region")})
	})

	t.Run("not from a decoder", func(t *testing.T) {
		for _, v := range []any{struct{}{}, map[string]any{"timeout": complex(1, 1)}, map[string]any{"f": func() {}}} {
			if got, err := Validate(v); err == nil {
				t.Errorf("Validate(%#v) = %v, want an error", v, got)
			}
		}
	})
}

func TestValidateDoesNotModifyInput(t *testing.T) {
	in := map[string]any{"timeout": 60, "encrypted_ports": []any{80, 0}, "secrets": "x"}
	before := fmt.Sprintf("%#v", in)
	if _, err := Validate(in); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprintf("%#v", in); after != before {
		t.Errorf("input changed:\n%s\n%s", before, after)
	}
}

// TestValidateRepeated calls Validate many times, concurrently: the schema
// is compiled once and shared, and every call gives the same answer.
func TestValidateRepeated(t *testing.T) {
	first, err := compiled()
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]any{"timeout": 0, "cloud": "azure", "timout": 1, "encrypted_ports": []any{1, 70000}}
	want, err := Validate(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 4 {
		t.Fatalf("want 4 problems, got:\n%s", dump(want))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 250 {
				got, err := Validate(in)
				if err != nil {
					t.Error(err)
					return
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("(-first +later):\n%s", d)
					return
				}
				if ok, _ := Validate(full()); ok != nil {
					t.Errorf("full block: %s", dump(ok))
					return
				}
			}
		})
	}
	wg.Wait()
	if again, _ := compiled(); again != first {
		t.Error("schema compiled more than once")
	}
}

// TestSchemaCompiles checks that x-modal.json is a valid draft 2020-12 schema
// that editors can use.
func TestSchemaCompiles(t *testing.T) {
	if _, err := compile(JSON); err != nil {
		t.Fatal(err)
	}

	// Against the 2020-12 meta-schema, explicitly (compile does it too).
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSON))
	if err != nil {
		t.Fatal(err)
	}
	meta, err := jsonschema.NewCompiler().Compile("https://json-schema.org/draft/2020-12/schema")
	if err != nil {
		t.Fatal(err)
	}
	if err := meta.Validate(doc); err != nil {
		t.Fatalf("x-modal.json is not a valid 2020-12 schema: %v", err)
	}

	var top struct {
		Schema     string                    `json:"$schema"`
		ID         string                    `json:"$id"`
		Title      string                    `json:"title"`
		Desc       string                    `json:"description"`
		MD         string                    `json:"markdownDescription"`
		Additional *bool                     `json:"additionalProperties"`
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(JSON, &top); err != nil {
		t.Fatal(err)
	}
	if top.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q", top.Schema)
	}
	if top.ID != ID {
		t.Errorf("$id = %q, want %q", top.ID, ID)
	}
	if top.Title == "" || top.Desc == "" || top.MD == "" {
		t.Error("the block needs a title, description and markdownDescription")
	}
	if top.Additional == nil || *top.Additional {
		t.Error("additionalProperties must be false: unknown keys are errors")
	}
	for k, prop := range top.Properties {
		for _, f := range []string{"title", "description", "markdownDescription"} {
			if s, _ := prop[f].(string); s == "" {
				t.Errorf("%s: no %s (editors show it)", k, f)
			}
		}
	}

	// DESIGN's table, less the keys a dedicated rule reports.
	wantKeys := []string{"block_network", "cidr_allowlist", "cloud", "custom_domain", "encrypted_ports", "gpu", "h2_ports",
		"idle_timeout", "pty", "region", "secrets", "timeout", "unencrypted_ports", "verbose"}
	if d := cmp.Diff(wantKeys, Keys()); d != "" {
		t.Errorf("Keys() (-want +got):\n%s", d)
	}
}

// TestStringNouns checks that every string the schema constrains by pattern
// or format is described in words, never by its regular expression, and that
// no description is left over.
func TestStringNouns(t *testing.T) {
	c, err := compiled()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for loc, s := range c.byLoc {
		if s.Pattern == nil && s.Format == nil {
			continue
		}
		k := topKey(loc)
		if _, ok := stringNouns[k]; !ok {
			t.Errorf("%s: pattern or format without an entry in stringNouns", loc)
		}
		used[k] = true
	}
	for k := range stringNouns {
		if !used[k] {
			t.Errorf("stringNouns[%q] is unused", k)
		}
	}
}

// TestAlternatives checks the translation of anyOf and oneOf, which
// x-modal.json does not use today (type lists say the same more simply): one
// message per place, never one per failed branch.
func TestAlternatives(t *testing.T) {
	const doc = `{
	  "$schema": "https://json-schema.org/draft/2020-12/schema",
	  "$id": "https://modalc.dev/schema/test.json",
	  "type": "object",
	  "properties": {
	    "names": {"anyOf": [
	      {"type": "null"},
	      {"type": "string", "minLength": 1},
	      {"type": "array", "items": {"$ref": "#/$defs/port"}}
	    ]},
	    "either": {"oneOf": [{"type": "integer", "minimum": 10}, {"type": "integer", "maximum": 20}]},
	    "ref": {"$ref": "#/$defs/port"},
	    "never": false
	  },
	  "$defs": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}}
	}`
	c, err := compile([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   any
		want []want
	}{
		{"null", map[string]any{"names": nil}, nil},
		{"wrong type", map[string]any{"names": 5}, []want{p("names: must be a non-empty string or a list of integers from 1 to 65535, got a number (5)", "names")}},
		{"string branch", map[string]any{"names": ""}, []want{p(`names: must be a non-empty string, got ""`, "names")}},
		{"list branch", map[string]any{"names": []any{1, 0, "x"}}, []want{
			p("names[1]: must be an integer from 1 to 65535, got 0", "names", "1"),
			p(`names[2]: must be an integer from 1 to 65535, got a string ("x")`, "names", "2"),
		}},
		{"oneOf both match", map[string]any{"either": 15}, []want{p("either: 15 matches more than one of: an integer of at least 10; an integer of at most 20", "either")}},
		{"oneOf none match, wrong type", map[string]any{"either": "x"}, []want{p(`either: must be an integer of at least 10 or an integer of at most 20, got a string ("x")`, "either")}},
		{"ref", map[string]any{"ref": 0}, []want{p("ref: must be an integer from 1 to 65535, got 0", "ref")}},
		{"false schema", map[string]any{"never": 1}, []want{{path: []string{"never"}, key: true, msg: `unknown key "never"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.validate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, got, tt.want)
		})
	}
}

func ExampleValidate() {
	problems, err := Validate(map[string]any{
		"timout":          600,
		"cloud":           "azure",
		"secrets":         []any{"openai", "my key"},
		"encrypted_ports": []any{8080, 70000},
	})
	if err != nil {
		panic(err)
	}
	for _, p := range problems {
		fmt.Println(p.Message)
	}
	// Output:
	// cloud: must be one of aws, gcp, oci or auto, got "azure"
	// encrypted_ports[1]: must be an integer from 1 to 65535, got 70000
	// secrets[1]: must be a Modal secret name (1 to 64 letters, digits, ".", "_" or "-"), got "my key"
	// unknown key "timout"
}

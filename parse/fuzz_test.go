package parse_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/modalc/modalc/internal/golden" // every test package takes -update
	"github.com/modalc/modalc/lower"
	"github.com/modalc/modalc/parse"
	"github.com/modalc/modalc/validate"
)

// fuzzSeeds are inputs that once troubled a YAML or compose loader: valid
// files, anchors and merges, alias bombs, deep nesting, bytes that are not
// text, huge keys, and the shapes x-modal can take. testdata/fuzz/FuzzLoad
// holds the inputs the fuzzer found.
func fuzzSeeds() []string {
	seeds := []string{
		"",
		"\n\n# only a comment\n",
		"---\n...\n",
		"services:\n  app:\n    image: python:3.12\n",
		"services:\n  app: {image: python:3.12, command: [sleep, infinity], working_dir: /app}\n",
		"services:\n  app:\n    image: python:3.12\n    environment: [A=1, B, C=x=y]\n    mem_limit: 512\n",
		"services:\n  app:\n    image: python:3.12\n    deploy:\n      resources:\n        limits: {cpus: '2', memory: 1g}\n        reservations:\n          cpus: '0.5'\n          memory: 2g\n          devices: [{capabilities: [gpu], count: all}]\n",
		"services:\n  app:\n    image: python:3.12\n    user: nobody\n    read_only: true\n    ports: ['80:80']\n    labels: {a: b}\n",
		"services:\n  a: {image: x}\n  b: {image: y}\n",
		"services: {}\n", "services: []\n", "services: null\n", "services:\n  app: null\n",
		"[]\n", "just a string\n", "42\n", "services:\n  app:\n    image: python:3.12\n---\nservices: {b: {image: y}}\n",
		// Anchors and merge keys.
		"x-base: &base\n  image: python:3.12\n  environment: {A: '1'}\nservices:\n  app:\n    <<: *base\n    command: sh\n",
		"x-a: &a {image: x}\nx-b: &b {command: y}\nservices:\n  app:\n    <<: [*a, *b]\n",
		"services:\n  app:\n    <<: *nowhere\n",
		"x-a: &a\n  <<: *a\nservices: {app: {image: x}}\n",
		// Interpolation.
		"services:\n  app:\n    image: python:${TAG:-3.12}\n    environment: {A: $$HOME, B: ${B}, C: '${C:?set C}'}\n",
		"services:\n  app:\n    image: ${\n", "services:\n  app:\n    image: x\n    cpus: ${CPUS}\n",
		"services:\n  app:\n    image: x\n    environment:\n      A: ${A:-${B:-${C}}}\n",
		// References to other files.
		"services:\n  app:\n    image: x\n    env_file: [missing.env, {path: opt.env, required: false}]\n",
		"services:\n  app:\n    image: x\n    env_file: .\n",
		"services:\n  app:\n    build: .\n",
		"services:\n  app:\n    build: {context: nothere, dockerfile: ../Dockerfile, target: t, args: [A=1]}\n",
		"services:\n  app:\n    build: https://github.com/docker/buildx.git\n",
		"services:\n  app:\n    extends: {file: other.yaml, service: base}\n",
		"services:\n  app:\n    extends: app\n",
		"services:\n  app:\n    extends: {service: base}\n  base:\n    extends: {service: app}\n",
		"include: [other.yaml]\nservices: {app: {image: x}}\n",
		"include: [compose.yaml]\nservices: {app: {image: x}}\n",
		// x-modal.
		"services: {app: {image: x}}\nx-modal: null\n",
		"services: {app: {image: x}}\nx-modal: {}\n",
		"services: {app: {image: x}}\nx-modal: []\n",
		"services: {app: {image: x}}\nx-modal: on\n",
		"services: {app: {image: x}}\nx-modal:\n  timeout: 600\n  idle_timeout: 60\n  gpu: a100:2\n  cloud: aws\n  region: [us-east-1]\n  block_network: false\n  cidr_allowlist: [10.0.0.0/8]\n  secrets: [openai-api-key]\n  pty: true\n  encrypted_ports: [443]\n  h2_ports: [8443]\n  unencrypted_ports: [8080]\n  custom_domain: example.com\n  verbose: true\n",
		"services: {app: {image: x}}\nx-modal:\n  timeout: 0\n  gpu: 'H100:99'\n  cidr_allowlist: []\n  block_network: true\n  encrypted_ports: [443, 443]\n  unencrypted_ports: [443]\n",
		"services: {app: {image: x}}\nx-modal:\n  timout: 60\n  volumes: {}\n  proxy: p\n  secrets: [{}]\n  region: {a: 1}\n",
		"services: {app: {image: x, x-modal: {gpu: T4}}}\n",
		"services: {app: {image: x}}\nx-modal: {timeout: null, gpu: null, region: null, cidr_allowlist: null}\n",
		"services: {app: {image: x}}\nx-modal: {timeout: 1e400, idle_timeout: -0, gpu: '', region: '', secrets: ''}\n",
		"services: {app: {image: x}}\nx-modal: &x {timeout: 5}\nx-other: *x\n",
		// Not text.
		"services:\n  app:\n    image: py\x00thon\n",
		"services:\n  app:\n    image: \xff\xfe\n",
		"\xef\xbb\xbfservices:\n  app:\n    image: x\n",
		"services:\r\n  app:\r\n    image: x\r\n",
		"services:\n\tapp:\n\t\timage: x\n",
		"services:\n  app:\n    image: 'unclosed\n",
		"{{{{",
		// Keys and values that are too big.
		"services:\n  app:\n    image: x\n    environment:\n      " + strings.Repeat("K", 1<<16) + ": v\n",
		"services:\n  " + strings.Repeat("a", 1<<16) + ":\n    image: x\n",
		"services:\n  app:\n    image: x\n    command: [" + strings.Repeat("a,", 1<<14) + "a]\n",
		// Deep nesting.
		"services: {app: {image: x}}\nx-deep: " + strings.Repeat("[", 10_000) + "\n",
		"services: {app: {image: x}}\nx-deep: " + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + "\n",
		"services: {app: {image: x}}\nx-deep: " + strings.Repeat("{a: ", 5_000) + strings.Repeat("}", 5_000) + "\n",
		"services:\n  app:\n    image: x\n    labels: " + strings.Repeat("[", 10_000) + "\n",
		aliasBomb(9, 9),
		mergeBomb(16),
	}
	return seeds
}

// aliasBomb is "billion laughs": levels of anchors, each a list of n
// aliases of the one before, n^levels nodes once expanded.
func aliasBomb(levels, n int) string {
	var b strings.Builder
	b.WriteString("services: {app: {image: x}}\nx-bomb:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < levels; i++ {
		b.WriteString("  l" + strconv.Itoa(i) + ": &l" + strconv.Itoa(i) + " [")
		for j := range n {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// mergeBomb doubles through mappings and merge keys, and lands in a
// service attribute compose-go decodes.
func mergeBomb(levels int) string {
	var b strings.Builder
	b.WriteString("x-m0: &m0 {A: '1'}\n")
	for i := 1; i < levels; i++ {
		p := "*m" + strconv.Itoa(i-1)
		b.WriteString("x-m" + strconv.Itoa(i) + ": &m" + strconv.Itoa(i) + " {k1: " + p + ", k2: " + p + ", k3: " + p + ", k4: " + p + "}\n")
	}
	b.WriteString("services:\n  app:\n    image: x\n    labels: *m" + strconv.Itoa(levels-1) + "\n")
	b.WriteString("  web:\n    <<: *m" + strconv.Itoa(levels-1) + "\n")
	return b.String()
}

// FuzzLoad reads arbitrary bytes as compose.yaml through the pipeline a
// library user runs: parse.Load, validate.Check, and lower.Lower when
// there is no error. None of them may panic or hang; an input problem is a
// *parse.Error that becomes well-formed diagnostics; any other error is an
// I/O failure; input with no error diagnostic must lower.
//
//	go test -fuzz FuzzLoad -fuzztime 60s ./parse/
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	goldens, _ := filepath.Glob("../testdata/golden/*/*.y*ml")
	for _, g := range goldens {
		if data, err := os.ReadFile(g); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A device file named in the input (env_file: /dev/zero) is read
		// by compose-go and never ends: out of reach of a fuzzer's clock.
		if bytes.Contains(data, []byte("/dev/")) || bytes.Contains(data, []byte("/proc/")) {
			t.Skip("names a device file")
		}
		dir := t.TempDir()
		file := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := parse.Load(context.Background(), file)
		if err != nil {
			var pe *parse.Error
			if !errors.As(err, &pe) {
				var pathErr *fs.PathError
				if !errors.As(err, &pathErr) {
					t.Fatalf("Load: %T is neither *parse.Error nor an I/O error: %v", err, err)
				}
				return
			}
			if pe.Kind == 0 {
				t.Errorf("Load: *parse.Error with the zero Kind: %v", pe)
			}
			ds, ok := validate.FromError(err)
			if !ok {
				t.Fatalf("FromError refused a *parse.Error: %v", err)
			}
			checkDiagnostics(t, ds)
			return
		}
		if src == nil {
			t.Fatal("Load returned neither a Source nor an error")
		}
		ds := validate.Check(src)
		checkDiagnostics(t, ds)
		if ds.HasErrors() {
			return
		}
		spec, err := lower.Lower(src)
		if err != nil {
			t.Fatalf("Lower failed on input validate accepted (a rule is missing): %v\ndiagnostics:\n%s", err, diagText(ds))
		}
		if spec == nil {
			t.Fatal("Lower returned neither a Spec nor an error")
		}
	})
}

// TestLoadHostile checks that inputs built to exhaust a loader give an error
// diagnostic quickly: a few milliseconds each here, against seconds to
// minutes (or memory exhaustion) for compose-go alone.
func TestLoadHostile(t *testing.T) {
	manyKeys := func(n int) string {
		var b strings.Builder
		b.WriteString("services:\n  app:\n    image: x\n    environment:\n")
		for i := range n {
			b.WriteString("      K" + strconv.Itoa(i) + ": v\n")
		}
		return b.String()
	}
	cases := []struct {
		name string
		data string
		code validate.Code
	}{
		{"40 MiB", "services: {app: {image: x}}\nx-pad: \"" + strings.Repeat("a", 40<<20) + "\"\n", "MC005"},
		{"deep brackets", "services: {app: {image: x}}\nx-deep: " + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + "\n", "MC005"},
		{"deep mappings", "services: {app: {image: x}}\nx-deep: " + strings.Repeat("{a: ", 5_000) + strings.Repeat("}", 5_000) + "\n", "MC005"},
		{"alias bomb", aliasBomb(9, 9), "MC001"},
		{"merge bomb", mergeBomb(16), "MC001"},
		{"anchor in itself", "x-a: &a\n  <<: *a\nservices: {app: {image: x}}\n", "MC001"},
		{"100,000 keys", manyKeys(100_000), "MC005"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "compose.yaml")
			if err := os.WriteFile(file, []byte(c.data), 0o644); err != nil {
				t.Fatal(err)
			}
			done := make(chan validate.Diagnostics, 1)
			go func() {
				_, err := parse.Load(context.Background(), file)
				ds, _ := validate.FromError(err)
				done <- ds
			}()
			select {
			case ds := <-done:
				if len(ds) != 1 || ds[0].Code != c.code || ds[0].Severity != validate.SevError {
					t.Errorf("want one error %s, got:\n%s", c.code, diagText(ds))
				}
			case <-time.After(20 * time.Second): // seconds when fine; a slow shared CI runner may take a few
				t.Fatal("Load still running after 20 s")
			}
		})
	}
}

func checkDiagnostics(t *testing.T, ds validate.Diagnostics) {
	t.Helper()
	for _, d := range ds {
		if d.Code == "" {
			t.Errorf("diagnostic without a code: %v", d)
		} else if _, ok := validate.Lookup(d.Code); !ok {
			t.Errorf("diagnostic with a code not in the catalogue: %v", d)
		}
		if d.Severity == 0 {
			t.Errorf("diagnostic with the zero severity: %v", d)
		}
		if d.Span.File == "" {
			t.Errorf("diagnostic without a file: %v", d)
		}
		if d.Message == "" {
			t.Errorf("diagnostic without a message: %v", d)
		}
	}
}

func diagText(ds validate.Diagnostics) string {
	var b bytes.Buffer
	ds.WriteText(&b)
	return b.String()
}

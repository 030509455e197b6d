package emit

import (
	"bytes"
	"encoding/json"

	"github.com/modalc/modalc/lower"
	"github.com/modalc/modalc/validate"
)

// Version is the plan format's version.
const Version = 1

// A Plan is the JSON document `modalc plan` prints for one input. Struct
// fields are declared in key order, so the encoding has sorted keys.
type Plan struct {
	App         string       `json:"app"`
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
	Image       Image        `json:"image"`
	Sandbox     Sandbox      `json:"sandbox"`
	Source      Source       `json:"source"`
	Version     int          `json:"version"`
}

// Source says where the plan came from.
type Source struct {
	Kind    string `json:"kind"`
	Path    string `json:"path"`
	Service string `json:"service,omitempty"`
}

// Image is the plan's image.
type Image struct {
	BuildArgs     map[string]string `json:"build_args,omitempty"`
	Context       string            `json:"context,omitempty"`
	ContextBytes  *int64            `json:"context_bytes,omitempty"`  // the build context manifest: total size
	ContextDigest string            `json:"context_digest,omitempty"` // its digest
	ContextFiles  *int              `json:"context_files,omitempty"`  // its file count (0 is shown)
	Dockerfile    string            `json:"dockerfile,omitempty"`
	Kind          string            `json:"kind"`
	Python        string            `json:"python,omitempty"`
	Ref           string            `json:"ref,omitempty"`
}

// Sandbox is the plan's sandbox parameters.
type Sandbox struct {
	BlockNetwork     bool              `json:"block_network,omitempty"`
	CIDRAllowlist    *[]string         `json:"cidr_allowlist,omitempty"` // [] is meaningful: kept
	Cloud            string            `json:"cloud,omitempty"`
	Command          []string          `json:"command,omitempty"`
	CPU              float64           `json:"cpu,omitempty"`
	CPULimit         float64           `json:"cpu_limit,omitempty"`
	CustomDomain     string            `json:"custom_domain,omitempty"`
	EncryptedPorts   []int             `json:"encrypted_ports,omitempty"`
	Env              map[string]string `json:"env,omitempty"`
	GPU              string            `json:"gpu,omitempty"`
	H2Ports          []int             `json:"h2_ports,omitempty"`
	IdleTimeout      int               `json:"idle_timeout,omitempty"`
	Memory           int               `json:"memory,omitempty"`
	MemoryLimit      int               `json:"memory_limit,omitempty"`
	PTY              bool              `json:"pty,omitempty"`
	Regions          []string          `json:"regions,omitempty"`
	Secrets          []string          `json:"secrets,omitempty"`
	Tags             map[string]string `json:"tags"`
	Timeout          int               `json:"timeout"`
	UnencryptedPorts []int             `json:"unencrypted_ports,omitempty"`
	Verbose          bool              `json:"verbose,omitempty"`
	Workdir          string            `json:"workdir,omitempty"`
}

// Diagnostic is a diagnostic as the plan carries it.
type Diagnostic struct {
	Code     string `json:"code"`
	Column   int    `json:"column,omitempty"`
	File     string `json:"file"`
	Hint     string `json:"hint,omitempty"`
	Line     int    `json:"line,omitempty"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// EnvFileMarker is what a plan shows for a value read from an env_file:
// the value is secret; the marker names where it comes from.
func EnvFileMarker(file string) string { return "<from env_file " + file + ">" }

// PlanOf builds the plan of spec, carrying diags.
func PlanOf(spec *lower.Spec, diags validate.Diagnostics) Plan {
	sb := spec.Sandbox
	p := Plan{
		App:     spec.App,
		Version: Version,
		Source:  Source{Kind: spec.Source.Kind, Path: spec.Source.Path, Service: spec.Source.Service},
		Image: Image{
			Kind: spec.Image.Kind, Ref: spec.Image.Ref, Context: spec.Image.Context,
			Dockerfile: spec.Image.Dockerfile, BuildArgs: spec.Image.BuildArgs, Python: spec.Image.Python,
		},
		Sandbox: Sandbox{
			BlockNetwork: sb.BlockNetwork, Cloud: sb.Cloud, Command: sb.Command,
			CPU: sb.CPU, CPULimit: sb.CPULimit, Memory: sb.Memory, MemoryLimit: sb.MemoryLimit,
			CustomDomain: sb.CustomDomain, GPU: sb.GPU, IdleTimeout: sb.IdleTimeout, Timeout: sb.Timeout,
			PTY: sb.PTY, Verbose: sb.Verbose, Workdir: sb.Workdir, Regions: sb.Regions, Secrets: sb.Secrets,
			EncryptedPorts: sb.EncryptedPorts, H2Ports: sb.H2Ports, UnencryptedPorts: sb.UnencryptedPorts,
			Tags: sb.Tags,
		},
	}
	if img := spec.Image; img.ContextDigest != "" {
		p.Image.ContextBytes, p.Image.ContextDigest, p.Image.ContextFiles = &img.ContextBytes, img.ContextDigest, &img.ContextFiles
	}
	if sb.CIDRAllowlist != nil {
		l := append([]string{}, sb.CIDRAllowlist...)
		p.Sandbox.CIDRAllowlist = &l
	}
	if len(sb.Env) > 0 {
		p.Sandbox.Env = make(map[string]string, len(sb.Env))
		for k, v := range sb.Env {
			switch {
			case sb.EnvFromFile[k] != "":
				v = EnvFileMarker(sb.EnvFromFile[k])
			case sb.EnvShown[k] != "":
				v = sb.EnvShown[k]
			}
			p.Sandbox.Env[k] = v
		}
	}
	for _, d := range diags {
		p.Diagnostics = append(p.Diagnostics, Diagnostic{
			Code: string(d.Code), Severity: d.Severity.String(), Message: d.Message, Hint: d.Hint,
			File: d.Span.File, Line: d.Span.Start.Line, Column: d.Span.Start.Column,
		})
	}
	return p
}

// Marshal encodes plans: one plan as an object, several as an array, with
// two-space indentation and a final newline. HTML characters are not
// escaped: a plan is read by people and tools, not embedded in pages.
func Marshal(plans []Plan) ([]byte, error) {
	var v any = plans
	if len(plans) == 1 {
		v = plans[0]
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

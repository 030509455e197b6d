package lower

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/modalc/modalc/parse"
	"go.yaml.in/yaml/v4"
)

// ErrNotLowerable is returned for a Source that validate should have
// refused (several services, a missing build): a bug, not bad input.
var ErrNotLowerable = errors.New("lower: input was not validated")

// An Option configures Lower.
type Option func(*config)

type config struct{ python string }

// WithPython sets the Python version of the default image (DefaultPython
// when unset or empty).
func WithPython(v string) Option { return func(c *config) { c.python = v } }

// Lower turns a validated Source into a Spec.
func Lower(src *parse.Source, opts ...Option) (*Spec, error) {
	c := config{python: DefaultPython}
	for _, o := range opts {
		o(&c)
	}
	if c.python == "" {
		c.python = DefaultPython
	}
	spec := &Spec{
		Source: SourceRef{Kind: src.Kind.String(), Path: src.Path},
		App:    AppName,
		Sandbox: Sandbox{
			Timeout: DefaultTimeout,
			Tags:    maps.Clone(CreatedByTag),
		},
	}
	switch src.Kind {
	case parse.KindDefault:
		spec.Image = Image{Kind: ImageDefault, Python: c.python}
		return spec, nil
	case parse.KindDockerfile:
		if src.Build == nil {
			return nil, ErrNotLowerable
		}
		spec.Image = Image{Kind: ImageDockerfile, Context: src.Build.ContextRel, Dockerfile: src.Build.DockerfileRel}
		spec.Image.setManifest(src.Build.Manifest)
		return spec, nil
	case parse.KindCompose:
	default:
		return nil, ErrNotLowerable
	}
	if src.Project == nil || len(src.Project.Services) != 1 {
		return nil, fmt.Errorf("%w: a Modal sandbox runs exactly one service", ErrNotLowerable)
	}
	var name string
	var svc types.ServiceConfig
	for n, s := range src.Project.Services {
		name, svc = n, s
	}
	spec.Source.Service = name
	x := DecodeXModal(src.Project.Extensions["x-modal"])

	// Image: build wins over image; neither → Modal's default image.
	switch {
	case svc.Build != nil:
		b := src.Builds[name]
		if b == nil {
			return nil, ErrNotLowerable
		}
		img := Image{Kind: ImageDockerfile, Context: b.ContextRel, Dockerfile: b.DockerfileRel, Target: svc.Build.Target}
		for k, v := range svc.Build.Args {
			if v != nil {
				if img.BuildArgs == nil {
					img.BuildArgs = map[string]string{}
				}
				img.BuildArgs[k] = *v
			}
		}
		img.setManifest(b.Manifest)
		spec.Image = img
	case svc.Image != "":
		spec.Image = Image{Kind: ImageRegistry, Ref: svc.Image}
	default:
		spec.Image = Image{Kind: ImageDefault, Python: c.python}
	}

	sb := &spec.Sandbox
	sb.Command = Command(svc)
	sb.Workdir = svc.WorkingDir
	lowerEnv(src, name, svc, sb)

	r := ResourcesOf(name, svc)
	cpu, cpuLimit := Shape(r.CPU.Value, r.CPULimit.Value)
	sb.CPU, sb.CPULimit = RoundCPU(cpu), RoundCPU(cpuLimit)
	mem, memLimit := Shape(r.Memory.Value, r.MemoryLimit.Value)
	sb.Memory, sb.MemoryLimit = MiB(mem), MiB(memLimit)

	if x.GPU != nil {
		sb.GPU = NormalizeGPU(*x.GPU)
	} else {
		sb.GPU = GPUFromDevices(name, svc).GPU
	}
	sb.BlockNetwork = BlockNetwork(svc.NetworkMode, x)

	if x.Timeout != nil {
		sb.Timeout = *x.Timeout
	}
	if x.IdleTimeout != nil {
		sb.IdleTimeout = *x.IdleTimeout
	}
	if x.Cloud != nil {
		sb.Cloud = *x.Cloud
	}
	sb.Regions = x.Regions
	sb.CIDRAllowlist = x.CIDRAllowlist
	sb.Secrets = x.Secrets
	if x.PTY != nil {
		sb.PTY = *x.PTY
	}
	if x.Verbose != nil {
		sb.Verbose = *x.Verbose
	}
	if x.CustomDomain != nil {
		sb.CustomDomain = *x.CustomDomain
	}
	sb.EncryptedPorts, sb.H2Ports, sb.UnencryptedPorts = x.EncryptedPorts, x.H2Ports, x.UnencryptedPorts
	return spec, nil
}

// Command is the sandbox argv: entrypoint then command, as compose runs
// them (compose-go has already split strings as POSIX shell words). An
// empty string for both means none: the image's own.
func Command(svc types.ServiceConfig) []string {
	var argv []string
	argv = append(argv, svc.Entrypoint...)
	argv = append(argv, svc.Command...)
	if len(argv) == 0 {
		return nil
	}
	return argv
}

// lowerEnv merges env_file values (in file order, later files win) under
// environment, dropping null values and list items without "=".
func lowerEnv(src *parse.Source, name string, svc types.ServiceConfig, sb *Sandbox) {
	env := map[string]string{}
	fromFile := map[string]string{}
	for _, f := range src.EnvFiles[name] {
		for _, k := range f.Keys {
			env[k] = f.Values[k]
			fromFile[k] = f.Path
		}
	}
	shown := map[string]string{}
	for k, v := range svc.Environment {
		if v == nil {
			continue
		}
		env[k] = *v
		delete(fromFile, k)
		if raw, ok := rawEnvValue(src.Index, name, k); ok && interpolates(raw) {
			shown[k] = strings.ReplaceAll(raw, "$$", "$")
		}
	}
	if len(env) > 0 {
		sb.Env = env
	}
	if len(fromFile) > 0 {
		sb.EnvFromFile = fromFile
	}
	if len(shown) > 0 {
		sb.EnvShown = shown
	}
}

// rawEnvValue finds the value of environment key k as written in the
// compose file, in the map or the list form.
func rawEnvValue(ix *parse.Index, service, k string) (string, bool) {
	base := "services." + service + ".environment"
	if e, ok := ix.Lookup(base + "." + k); ok && e.Node != nil && e.Node.Kind == yaml.ScalarNode {
		// In the list form the key "0" is an index, not a name.
		if parent, ok := ix.Lookup(base); ok && parent.Node.Kind == yaml.MappingNode {
			return e.Node.Value, true
		}
	}
	parent, ok := ix.Lookup(base)
	if !ok || parent.Node == nil || parent.Node.Kind != yaml.SequenceNode {
		return "", false
	}
	for _, item := range parent.Node.Content {
		if key, val, ok := strings.Cut(item.Value, "="); ok && key == k {
			return val, true
		}
	}
	return "", false
}

// interpolates reports whether a raw value has a ${VAR} or $VAR reference
// (not just escaped dollars).
func interpolates(raw string) bool {
	return strings.Contains(strings.ReplaceAll(raw, "$$", ""), "$")
}

// setManifest copies the build context manifest's summary into the image.
func (img *Image) setManifest(m *parse.Manifest) {
	if m == nil {
		return
	}
	img.ContextFiles, img.ContextBytes, img.ContextDigest = len(m.Entries), m.Bytes, m.Digest
}

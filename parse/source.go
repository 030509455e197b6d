package parse

import (
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// A Source is one input, read: everything the later phases need, so that
// none of them reads a file again.
type Source struct {
	Kind Kind
	// Path is the input file as shown to the user: the compose file, the
	// Dockerfile, or for KindDefault the directory. Forward slashes.
	Path string
	// Dir is the absolute directory of the input; relative paths in the plan
	// are relative to it.
	Dir string

	// Files is the file cache: display path → contents, for every file read.
	Files map[string][]byte

	// Compose inputs only.
	Project     *types.Project
	Index       *Index                        // positions in the compose file
	Unsupported []loader.UnsupportedAttribute // attributes modalc does not lower, as compose-go found them
	Vars        []VarRef                      // every ${VAR} and $$ in the compose file, in file order
	EnvFiles    map[string][]EnvFile          // service name → its env_file entries, read
	Builds      map[string]*Build             // service name → its build, resolved

	// Build is the image build of a Dockerfile input, or of the compose
	// service's build (the same pointer as Builds[service]).
	Build *Build
}

// A VarRef is one interpolation in the compose file as written.
type VarRef struct {
	Name    string // the variable name; empty for "$$"
	Text    string // as written: "${NAME:-x}", "$NAME" or "$$"
	Span    Span
	Path    string // attribute path of the scalar holding it
	Escaped bool   // "$$", an escaped dollar
}

// An EnvFile is one env_file entry of a service, read.
type EnvFile struct {
	Path     string // display path
	Span     Span   // where the compose file names it
	Missing  bool   // the file does not exist (and required: false)
	Keys     []string
	Values   map[string]string // never printed: values from env files are secret
	Required bool
}

// A Build is a resolved image build: the context directory and the
// Dockerfile, checked on disk.
type Build struct {
	Context        string // absolute
	Dockerfile     string // absolute
	ContextPath    string // display path of the context
	DockerfilePath string // display path of the Dockerfile
	// ContextRel and DockerfileRel are relative to Source.Dir, forward
	// slashes, as the plan shows them.
	ContextRel    string
	DockerfileRel string
	ContextRemote bool // a URL (git, http): not checked, not read

	ContextMissing    bool
	ContextNotDir     bool
	DockerfileMissing bool
	DockerfileIsDir   bool

	// File is the parsed Dockerfile; nil when it is missing or remote.
	File *Dockerfile
	// Manifest is the exact build context: the files COPY and ADD read,
	// after the ignore file. Nil when File is nil or the context is not a
	// local directory.
	Manifest *Manifest
}

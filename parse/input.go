package parse

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Kind is what an input turned out to be.
type Kind int

const (
	_              Kind = iota // the zero Kind is never returned
	KindCompose                // a compose file
	KindDockerfile             // a Dockerfile: an image built from it, context = its directory
	KindDefault                // a directory with neither: Modal's default image
)

func (k Kind) String() string {
	switch k {
	case KindCompose:
		return "compose"
	case KindDockerfile:
		return "dockerfile"
	case KindDefault:
		return "default"
	}
	return "invalid"
}

// ComposeNames are the file names looked for in a directory, in order,
// before a Dockerfile.
var ComposeNames = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// IsDockerfileName reports whether a file name is a Dockerfile's:
// Dockerfile, NAME.Dockerfile or Dockerfile.NAME.
func IsDockerfileName(name string) bool {
	return name == "Dockerfile" || strings.HasSuffix(name, ".Dockerfile") || strings.HasPrefix(name, "Dockerfile.")
}

// Detect resolves path (a file or a directory) to the input modalc reads.
// For a directory it returns the first compose file of [ComposeNames], else
// its Dockerfile, else KindDefault with file = the directory. A path that
// does not exist is ErrNoInput (wrapped in an *fs.PathError).
func Detect(path string) (kind Kind, file string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, "", &fs.PathError{Op: "read", Path: path, Err: ErrNoInput}
		}
		return 0, "", err
	}
	if !fi.IsDir() {
		if IsDockerfileName(filepath.Base(path)) {
			return KindDockerfile, path, nil
		}
		return KindCompose, path, nil
	}
	for _, n := range ComposeNames {
		f := filepath.Join(path, n)
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			return KindCompose, f, nil
		}
	}
	f := filepath.Join(path, "Dockerfile")
	if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
		return KindDockerfile, f, nil
	}
	return KindDefault, path, nil
}

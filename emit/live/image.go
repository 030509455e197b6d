package live

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	modal "github.com/modal-labs/modal-client/go"
	"github.com/modalc/modalc/lower"
	"github.com/modalc/modalc/parse"
	"github.com/modalc/modalc/runtime"
)

// buildImage builds the spec's image once, before any sandbox is created
// (concurrent creates sharing one unbuilt SDK image race, and build it once
// per replica). Registry images go through the SDK; Dockerfile builds with
// a local context and the default image through raw calls (runtime).
func buildImage(ctx context.Context, c *runtime.Client, app *modal.App, src *parse.Source, spec *lower.Spec) (*modal.Image, error) {
	var id string
	switch spec.Image.Kind {
	case lower.ImageRegistry:
		var img *modal.Image
		err := runtime.Retry(ctx, func(int) (err error) {
			img, err = c.SDK.Images.FromRegistry(spec.Image.Ref, nil).Build(ctx, app, nil)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", spec.Image.Ref, err)
		}
		return img, nil
	case lower.ImageDockerfile:
		b, err := dockerfileBuild(app.AppID, src, spec)
		if err != nil {
			return nil, err
		}
		if id, err = c.BuildDockerfile(ctx, b); err != nil {
			return nil, fmt.Errorf("image build from %s: %w", spec.Image.Dockerfile, err)
		}
	case lower.ImageDefault:
		var err error
		if id, err = c.BuildDefault(ctx, app.AppID, spec.Image.Python); err != nil {
			return nil, fmt.Errorf("default image (python %s): %w", spec.Image.Python, err)
		}
	default:
		return nil, fmt.Errorf("emit: unknown image kind %q", spec.Image.Kind)
	}
	return c.SDK.Images.FromID(ctx, id, nil)
}

// dockerfileBuild gathers what a Dockerfile build sends: the Dockerfile's
// lines, as Modal's Python SDK sends them, and the manifest's files.
func dockerfileBuild(appID string, src *parse.Source, spec *lower.Spec) (runtime.DockerfileBuild, error) {
	b := src.Build
	if b == nil || b.File == nil {
		return runtime.DockerfileBuild{}, fmt.Errorf("emit: no Dockerfile was read for %s", spec.Source.Path)
	}
	data, ok := src.Files[b.DockerfilePath]
	if !ok {
		return runtime.DockerfileBuild{}, fmt.Errorf("emit: %s is not in the file cache", b.DockerfilePath)
	}
	out := runtime.DockerfileBuild{
		AppID:     appID,
		Commands:  strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"),
		BuildArgs: spec.Image.BuildArgs,
		GPU:       spec.Sandbox.GPU,
	}
	if b.Manifest != nil {
		for _, e := range b.Manifest.Entries {
			out.Files = append(out.Files, runtime.ContextFile{
				Path: e.Path, Abs: filepath.Join(b.Context, filepath.FromSlash(e.Path)),
				Mode: e.Mode, Size: e.Size, SHA256: e.SHA256,
			})
		}
	}
	return out, nil
}

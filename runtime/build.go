package runtime

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Image builds the SDK cannot make: a Dockerfile with a local build context
// and build args, and Modal's default image (Python's Image.debian_slim).
// Both go through raw calls on the SDK's connection (Client.Raw), in the
// manner of Modal's Python client (modal/image.py _Image._from_args, and
// modal/mount.py _Mount._load_mount for the context upload).
//
// Nothing here retries: the SDK's interceptors already retry transient
// failures of each unary call, and the caller decides about the rest (a
// failed build is never retried). Following a build whose join stream broke
// is not a retry: it re-attaches to the same build, as the Python client does.

// A ContextFile is one file of a build context to upload.
type ContextFile struct {
	Path   string      // relative to the context directory, forward slashes
	Abs    string      // absolute path on disk
	Mode   fs.FileMode // 0644/0755, or fs.ModeSymlink|0777
	Size   int64
	SHA256 string // hex of the contents (for a symlink: of its target as written)
}

// A DockerfileBuild is an image built from a Dockerfile with a local context.
type DockerfileBuild struct {
	AppID     string
	Commands  []string      // the Dockerfile's lines, as Modal's Python SDK sends them (Image.from_dockerfile)
	Files     []ContextFile // the manifest: only these are uploaded
	BuildArgs map[string]string
	GPU       string // "" or "TYPE[:N]": the GPU the build runs on (optional)
}

// BuildError is a failed image build: its status and the last log lines.
type BuildError struct {
	ImageID string
	// Status is the build result's status as Modal names it, without its
	// GENERIC_STATUS_ prefix: FAILURE, TERMINATED, TIMEOUT, …
	Status string
	// Tail are the last lines of the build log (at most buildTailLines; blank
	// lines left out). The whole log went to the client's BuildLog.
	Tail []string

	exception string // the result's exception, if the server gave one
}

func (e *BuildError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "image build %s ", e.ImageID)
	switch e.Status {
	case "TIMEOUT":
		b.WriteString("timed out")
	case "TERMINATED":
		b.WriteString("was terminated")
	default:
		fmt.Fprintf(&b, "failed (%s)", e.Status)
	}
	detail := lastLine(e.exception)
	if detail == "" && len(e.Tail) > 0 {
		detail = e.Tail[len(e.Tail)-1]
	}
	if detail != "" {
		b.WriteString(": ")
		b.WriteString(detail)
	}
	return b.String()
}

// lastLine returns the last non-blank line of s, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

const (
	// largeFileLimit is the size from which a context file goes through the
	// blob store rather than inline in MountPutFile: the Python client's
	// LARGE_FILE_LIMIT (modal/_utils/blob_utils.py: "If a file is
	// LARGE_FILE_LIMIT bytes or larger, it's uploaded to blob store").
	largeFileLimit = 4 << 20
	// putConcurrency and blobConcurrency bound the files checked or sent at
	// once, and the blob uploads among them (Python: 16 concurrent blob
	// uploads). partConcurrency bounds the parts of one multipart upload.
	putConcurrency  = 32
	blobConcurrency = 8
	partConcurrency = 4
	// mountPutFileTimeout bounds the wait for the server to acknowledge
	// uploaded content (Python: MOUNT_PUT_FILE_CLIENT_TIMEOUT, 10 min).
	mountPutFileTimeout = 10 * time.Minute
	// joinTimeout is the timeout each ImageJoinStreaming request asks for;
	// the stream then ends and is opened again (Python and the SDK: 55 s).
	joinTimeout = 55
	// joinFailures is how many broken join streams end the wait (Python's
	// _image_await_build_result gives up at the third).
	joinFailures = 3
	// buildTailLines is how many log lines a BuildError keeps.
	buildTailLines = 20
)

// BuildDockerfile uploads the context files the server does not have yet
// (unchanged files are not re-sent: MountPutFile answers whether a hash
// exists; large files — 4 MiB or more, the Python client's LARGE_FILE_LIMIT —
// go through BlobCreate and an HTTP PUT to the upload URL, or S3's multipart
// protocol when the server asks for it), creates the context mount
// (MountGetOrCreate, ANONYMOUS_OWNED_BY_APP, app_id), then ImageGetOrCreate
// with dockerfile_commands, context_mount_id, build_args and the builder
// version (MODAL_IMAGE_BUILDER_VERSION, else EnvironmentGetOrCreate's
// image_builder_version), then ImageJoinStreaming until a result. Log lines
// reach the client's BuildLog as they arrive, once each: the Client's stream
// interceptor writes them for every ImageJoinStreaming on the SDK's
// connection, raw ones included, so this function only keeps their tail.
// Returns the image ID; a result other than SUCCESS is a *BuildError.
//
// Symlinks among the files are uploaded as the file they point to, and a
// symlink to a directory, or a dangling one, is left out: a Modal mount holds
// regular files only. The Python client does the same (its mount walks the
// context with os.walk and opens each name), where docker would copy the link.
//
// The Python client's from_dockerfile adds a second layer that installs
// Modal's client requirements (builder versions up to 2024.10) or a Python
// distribution (add_python); modalc builds the Dockerfile alone, since a
// sandbox does not run Modal's Python runtime.
func (c *Client) BuildDockerfile(ctx context.Context, b DockerfileBuild) (imageID string, err error) {
	if b.AppID == "" {
		return "", errors.New("runtime: BuildDockerfile: no app ID")
	}
	if len(b.Commands) == 0 {
		return "", errors.New("runtime: BuildDockerfile: no Dockerfile commands")
	}
	gpu, err := gpuConfig(b.GPU)
	if err != nil {
		return "", err
	}
	raw, version, err := c.builder(ctx)
	if err != nil {
		return "", err
	}
	var mountID string
	if len(b.Files) > 0 {
		if mountID, err = uploadContext(ctx, raw, b.AppID, b.Files); err != nil {
			return "", err
		}
	}
	return c.buildImage(ctx, raw, pb.ImageGetOrCreateRequest_builder{
		AppId: b.AppID,
		Image: pb.Image_builder{
			DockerfileCommands: b.Commands,
			ContextMountId:     mountID,
			BuildArgs:          b.BuildArgs,
			GpuConfig:          gpu,
			// As the Python client: an empty registry config and GPU config
			// are sent when there are none.
			ImageRegistryConfig: pb.ImageRegistryConfig_builder{}.Build(),
		}.Build(),
		Namespace:      pb.DeploymentNamespace_DEPLOYMENT_NAMESPACE_WORKSPACE,
		BuilderVersion: version,
	}.Build())
}

// builder returns the raw client and the workspace's image-builder version,
// which every raw image build needs.
func (c *Client) builder(ctx context.Context) (pb.ModalClientClient, string, error) {
	raw, err := c.Raw()
	if err != nil {
		return nil, "", err
	}
	version, err := imageBuilderVersion(ctx, raw)
	if err != nil {
		return nil, "", err
	}
	return raw, version, nil
}

// BuildDefault builds Modal's default image: Modal's debian_slim recipe for
// the workspace's image-builder version, with Python `python` (e.g. "3.12";
// "" means 3.12). See debianSlim for the recipe and how closely it follows
// the Python client's.
func (c *Client) BuildDefault(ctx context.Context, appID, python string) (imageID string, err error) {
	if appID == "" {
		return "", errors.New("runtime: BuildDefault: no app ID")
	}
	raw, version, err := c.builder(ctx)
	if err != nil {
		return "", err
	}
	commands, files, err := debianSlim(version, python)
	if err != nil {
		return "", err
	}
	return c.buildImage(ctx, raw, pb.ImageGetOrCreateRequest_builder{
		AppId: appID,
		Image: pb.Image_builder{
			DockerfileCommands:  commands,
			ContextFiles:        files,
			GpuConfig:           pb.GPUConfig_builder{}.Build(),
			ImageRegistryConfig: pb.ImageRegistryConfig_builder{}.Build(),
		}.Build(),
		// As Image.debian_slim: the global namespace, where Modal keeps
		// its pre-built debian_slim images (publishing there needs
		// allow_global_deployment, which only Modal's admins may set).
		Namespace:      pb.DeploymentNamespace_DEPLOYMENT_NAMESPACE_GLOBAL,
		BuilderVersion: version,
	}.Build())
}

// imageBuilderVersion is MODAL_IMAGE_BUILDER_VERSION, else the image builder
// version of the environment (MODAL_ENVIRONMENT, else the default one), as
// the SDK's Image.Build finds it. (The SDK also reads image_builder_version
// from the ~/.modal.toml profile, which it does not expose.)
func imageBuilderVersion(ctx context.Context, raw pb.ModalClientClient) (string, error) {
	if v := os.Getenv("MODAL_IMAGE_BUILDER_VERSION"); v != "" {
		return v, nil
	}
	resp, err := raw.EnvironmentGetOrCreate(ctx, pb.EnvironmentGetOrCreateRequest_builder{
		DeploymentName: os.Getenv("MODAL_ENVIRONMENT"),
	}.Build())
	if err != nil {
		return "", fmt.Errorf("image builder version: %w", err)
	}
	v := resp.GetMetadata().GetSettings().GetImageBuilderVersion()
	if v == "" {
		return "", errors.New("image builder version: the environment reports none (set MODAL_IMAGE_BUILDER_VERSION)")
	}
	return v, nil
}

// gpuConfig turns "TYPE[:N]" into a GPU config as the SDK's parseGPUConfig
// does; "" is an empty config (no GPU).
func gpuConfig(gpu string) (*pb.GPUConfig, error) {
	if gpu == "" {
		return pb.GPUConfig_builder{}.Build(), nil
	}
	typ, n, hasCount := strings.Cut(gpu, ":")
	count := uint64(1)
	if hasCount {
		var err error
		count, err = strconv.ParseUint(n, 10, 32)
		if err != nil || count < 1 {
			return nil, fmt.Errorf("runtime: GPU %q: the count must be a positive integer", gpu)
		}
	}
	if typ == "" {
		return nil, fmt.Errorf("runtime: GPU %q: no type", gpu)
	}
	return pb.GPUConfig_builder{Count: uint32(count), GpuType: strings.ToUpper(typ)}.Build(), nil
}

// buildImage asks for an image and follows its build to a result.
func (c *Client) buildImage(ctx context.Context, raw pb.ModalClientClient, req *pb.ImageGetOrCreateRequest) (string, error) {
	resp, err := raw.ImageGetOrCreate(ctx, req)
	if err != nil {
		return "", err
	}
	id := resp.GetImageId()
	result := resp.GetResult() // set (and final) when the image was built before
	var tail logTail
	if result.GetStatus() == pb.GenericResult_GENERIC_STATUS_UNSPECIFIED {
		if result, err = joinBuild(ctx, raw, id, &tail); err != nil {
			return "", fmt.Errorf("image build %s: %w", id, err)
		}
	}
	if result.GetStatus() == pb.GenericResult_GENERIC_STATUS_SUCCESS {
		return id, nil
	}
	return "", &BuildError{
		ImageID:   id,
		Status:    strings.TrimPrefix(result.GetStatus().String(), "GENERIC_STATUS_"),
		Tail:      tail.lines(),
		exception: result.GetException(),
	}
}

// joinBuild follows a build with ImageJoinStreaming until a result. Each
// stream ends after joinTimeout seconds (or on a broken connection) and is
// opened again after the last entry seen, so no log line comes twice.
func joinBuild(ctx context.Context, raw pb.ModalClientClient, imageID string, tail *logTail) (*pb.GenericResult, error) {
	lastEntry := ""
	failures := 0
	for {
		start := time.Now()
		result, n, err := joinOnce(ctx, raw, imageID, &lastEntry, tail)
		switch {
		case result != nil:
			return result, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			if c := status.Code(err); c != codes.Unavailable && c != codes.Internal {
				return nil, err
			}
			if failures++; failures >= joinFailures {
				return nil, err
			}
		case n == 0 && time.Since(start) < time.Second:
			// An empty stream that ended at once: do not spin.
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
}

// joinOnce reads one ImageJoinStreaming stream to its end, and returns the
// result if one came and the number of messages. As the Python client, it
// reads on after the result: log lines may follow it.
func joinOnce(ctx context.Context, raw pb.ModalClientClient, imageID string, lastEntry *string, tail *logTail) (*pb.GenericResult, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := raw.ImageJoinStreaming(ctx, pb.ImageJoinStreamingRequest_builder{
		ImageId:     imageID,
		Timeout:     joinTimeout,
		LastEntryId: *lastEntry,
	}.Build())
	if err != nil {
		return nil, 0, err
	}
	var result *pb.GenericResult
	n := 0
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return result, n, nil
		}
		if err != nil {
			return result, n, err
		}
		n++
		if id := msg.GetEntryId(); id != "" {
			*lastEntry = id
		}
		tail.add(msg.GetTaskLogs())
		if r := msg.GetResult(); r.GetStatus() != pb.GenericResult_GENERIC_STATUS_UNSPECIFIED {
			result = r
		}
	}
}

// logTail keeps the last buildTailLines non-blank lines of a build log.
type logTail struct {
	buf     []string
	partial string
}

func (t *logTail) add(logs []*pb.TaskLogs) {
	for _, l := range logs {
		data := l.GetData()
		if data == "" {
			continue // snapshot progress and the like
		}
		parts := strings.Split(t.partial+data, "\n")
		t.partial = parts[len(parts)-1]
		for _, line := range parts[:len(parts)-1] {
			t.push(line)
		}
	}
}

func (t *logTail) push(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	t.buf = append(t.buf, line)
	if len(t.buf) > 2*buildTailLines {
		t.buf = slices.Clone(t.buf[len(t.buf)-buildTailLines:])
	}
}

func (t *logTail) lines() []string {
	all := slices.Clone(t.buf)
	if p := strings.TrimRight(t.partial, "\r"); strings.TrimSpace(p) != "" {
		all = append(all, p)
	}
	return all[max(0, len(all)-buildTailLines):]
}

// A contextUpload is one file of the context mount.
type contextUpload struct {
	name string // in the mount: "/" and the path relative to the context
	abs  string
	sha  string
	size int64
	mode uint32
}

// uploadContext sends the files the server lacks and makes the context
// mount, as the Python client's _Mount._load_mount: for each distinct
// content, MountPutFile{sha256_hex} asks whether the server has it; if not,
// MountPutFile{sha256_hex, data} sends it inline, or, for a large file,
// MountPutFile{sha256_hex, data_blob_id} after a blob upload. Then
// MountGetOrCreate{ANONYMOUS_OWNED_BY_APP, app_id, files}. File names are
// the context-relative paths under "/", as Image.from_dockerfile's context
// mount has them.
func uploadContext(ctx context.Context, raw pb.ModalClientClient, appID string, files []ContextFile) (string, error) {
	uploads, err := resolveContext(files)
	if err != nil {
		return "", err
	}
	var distinct []contextUpload
	seen := map[string]bool{}
	for _, u := range uploads {
		if !seen[u.sha] {
			seen[u.sha] = true
			distinct = append(distinct, u)
		}
	}
	blobs := make(chan struct{}, blobConcurrency)
	err = forEach(ctx, distinct, putConcurrency, func(ctx context.Context, u contextUpload) error {
		return putFile(ctx, raw, u, blobs)
	})
	if err != nil {
		return "", err
	}
	mfs := make([]*pb.MountFile, 0, len(uploads))
	for _, u := range uploads {
		size, mode := uint64(u.size), u.mode
		mfs = append(mfs, pb.MountFile_builder{Filename: u.name, Sha256Hex: u.sha, Size: &size, Mode: &mode}.Build())
	}
	resp, err := raw.MountGetOrCreate(ctx, pb.MountGetOrCreateRequest_builder{
		ObjectCreationType: pb.ObjectCreationType_OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP,
		AppId:              appID,
		Files:              mfs,
	}.Build())
	if err != nil {
		return "", fmt.Errorf("build context mount: %w", err)
	}
	return resp.GetMountId(), nil
}

// resolveContext checks the files' paths and turns each into what the mount
// holds, sorted by name. A symlink becomes the regular file it points to
// (hashed now); one to a directory, or dangling, is left out.
func resolveContext(files []ContextFile) ([]contextUpload, error) {
	uploads := make([]contextUpload, 0, len(files))
	names := map[string]bool{}
	for _, f := range files {
		if f.Path == "" || path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == ".." || strings.HasPrefix(f.Path, "../") {
			return nil, fmt.Errorf("build context: bad file path %q", f.Path)
		}
		u := contextUpload{name: "/" + f.Path, abs: f.Abs, sha: strings.ToLower(f.SHA256), size: f.Size, mode: uint32(f.Mode.Perm())}
		if names[u.name] {
			return nil, fmt.Errorf("build context: %s listed twice", f.Path)
		}
		names[u.name] = true
		if f.Mode&fs.ModeSymlink != 0 {
			fi, err := os.Stat(f.Abs)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			sum, n, err := hashFile(f.Abs)
			if err != nil {
				return nil, fmt.Errorf("build context: %s: %w", f.Path, err)
			}
			u.sha, u.size, u.mode = sum, n, 0o644
			if fi.Mode()&0o111 != 0 {
				u.mode = 0o755
			}
		} else if !f.Mode.IsRegular() {
			return nil, fmt.Errorf("build context: %s is not a regular file or a symlink (mode %v)", f.Path, f.Mode)
		}
		if u.mode == 0 {
			u.mode = 0o644
		}
		if len(u.sha) != sha256.Size*2 {
			return nil, fmt.Errorf("build context: %s: bad SHA-256 %q", f.Path, f.SHA256)
		}
		uploads = append(uploads, u)
	}
	slices.SortFunc(uploads, func(a, b contextUpload) int { return strings.Compare(a.name, b.name) })
	return uploads, nil
}

func hashFile(name string) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// errChanged reports a context file that no longer matches the manifest.
func errChanged(u contextUpload) error {
	return fmt.Errorf("build context: %s changed since the build context was read; run again", strings.TrimPrefix(u.name, "/"))
}

// putFile makes sure the server holds u's content.
func putFile(ctx context.Context, raw pb.ModalClientClient, u contextUpload, blobs chan struct{}) error {
	resp, err := raw.MountPutFile(ctx, pb.MountPutFileRequest_builder{Sha256Hex: u.sha}.Build())
	if err != nil {
		return fmt.Errorf("build context: %s: %w", strings.TrimPrefix(u.name, "/"), err)
	}
	if resp.GetExists() {
		return nil
	}
	req := pb.MountPutFileRequest_builder{Sha256Hex: u.sha}
	if u.size >= largeFileLimit {
		select {
		case blobs <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		id, err := uploadBlob(ctx, raw, u)
		<-blobs
		if err != nil {
			return fmt.Errorf("build context: %s: %w", strings.TrimPrefix(u.name, "/"), err)
		}
		req.DataBlobId = &id
	} else {
		data, err := os.ReadFile(u.abs)
		if err != nil {
			return fmt.Errorf("build context: %w", err)
		}
		if sum := sha256.Sum256(data); int64(len(data)) != u.size || hex.EncodeToString(sum[:]) != u.sha {
			return errChanged(u)
		}
		if data == nil {
			data = []byte{} // an empty file is still data, not a check
		}
		req.Data = data
	}
	// The Python client sends again until the server says it has the
	// content, for up to MOUNT_PUT_FILE_CLIENT_TIMEOUT.
	deadline := time.Now().Add(mountPutFileTimeout)
	put := req.Build()
	for {
		resp, err := raw.MountPutFile(ctx, put)
		if err != nil {
			return fmt.Errorf("build context: %s: %w", strings.TrimPrefix(u.name, "/"), err)
		}
		if resp.GetExists() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("build context: %s: the server did not acknowledge the upload", strings.TrimPrefix(u.name, "/"))
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// blobHTTP uploads blobs; requests are bounded by their context.
var blobHTTP = &http.Client{}

// uploadBlob sends a large file to the blob store, as the Python client's
// blob_upload_file (modal/_utils/blob_utils.py): BlobCreate with the
// content's MD5, SHA-256 and length, then one PUT to upload_url, or, when the
// server answers with a multipart upload, one PUT per part and a POST of the
// parts' ETags to the completion URL. ETags are checked against the MD5s.
func uploadBlob(ctx context.Context, raw pb.ModalClientClient, u contextUpload) (string, error) {
	f, err := os.Open(u.abs)
	if err != nil {
		return "", err
	}
	defer f.Close()
	md5h, shah := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(md5h, shah), f)
	if err != nil {
		return "", err
	}
	if n != u.size || hex.EncodeToString(shah.Sum(nil)) != u.sha {
		return "", errChanged(u)
	}
	sum := md5h.Sum(nil)
	resp, err := raw.BlobCreate(ctx, pb.BlobCreateRequest_builder{
		ContentMd5:          base64.StdEncoding.EncodeToString(sum),
		ContentSha256Base64: base64.StdEncoding.EncodeToString(shah.Sum(nil)),
		ContentLength:       n,
	}.Build())
	if err != nil {
		return "", err
	}
	switch resp.WhichUploadTypeOneof() {
	case pb.BlobCreateResponse_UploadUrl_case:
		etag, err := putBlob(ctx, resp.GetUploadUrl(), io.NewSectionReader(f, 0, n), n, sum)
		if err != nil {
			return "", err
		}
		if etag != "" && etag != hex.EncodeToString(sum) {
			return "", fmt.Errorf("blob upload: the store's checksum %s does not match the file's MD5 %x", etag, sum)
		}
	case pb.BlobCreateResponse_Multipart_case:
		if err := putMultipart(ctx, f, n, resp.GetMultipart()); err != nil {
			return "", err
		}
	default:
		return "", errors.New("blob upload: BlobCreate gave no upload URL")
	}
	return resp.GetBlobId(), nil
}

// putMultipart uploads f in parts and completes the upload (the Python
// client's perform_multipart_upload).
func putMultipart(ctx context.Context, f *os.File, n int64, mp *pb.MultiPartUpload) error {
	partLen, urls := mp.GetPartLength(), mp.GetUploadUrls()
	if partLen <= 0 || int64(len(urls)) != (n+partLen-1)/partLen {
		return fmt.Errorf("blob upload: %d part URLs of %d bytes for %d bytes", len(urls), partLen, n)
	}
	etags := make([]string, len(urls))
	idx := make([]int, len(urls))
	for i := range idx {
		idx[i] = i
	}
	err := forEach(ctx, idx, partConcurrency, func(ctx context.Context, i int) error {
		off := int64(i) * partLen
		size := min(partLen, n-off)
		h := md5.New()
		etag, err := putBlob(ctx, urls[i], io.TeeReader(io.NewSectionReader(f, off, size), h), size, nil)
		if err != nil {
			return fmt.Errorf("part %d: %w", i+1, err)
		}
		if want := hex.EncodeToString(h.Sum(nil)); etag != want {
			return fmt.Errorf("blob upload: part %d: the store's checksum %q does not match its MD5 %s", i+1, etag, want)
		}
		etags[i] = etag
		return nil
	})
	if err != nil {
		return err
	}
	var body strings.Builder
	body.WriteString("<CompleteMultipartUpload>\n")
	combined := md5.New()
	for i, etag := range etags {
		fmt.Fprintf(&body, "<Part>\n<PartNumber>%d</PartNumber>\n<ETag>\"%s\"</ETag>\n</Part>\n", i+1, etag)
		b, _ := hex.DecodeString(etag)
		combined.Write(b)
	}
	body.WriteString("</CompleteMultipartUpload>")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, mp.GetCompletionUrl(), strings.NewReader(body.String()))
	if err != nil {
		return err
	}
	resp, err := blobHTTP.Do(req)
	if err != nil {
		return fmt.Errorf("blob upload: completing: %w", err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("blob upload: completing: %s: %s", resp.Status, bytes.TrimSpace(text[:min(len(text), 512)]))
	}
	// S3 answers with the combined ETag: the MD5 of the parts' MD5s, "-N".
	if want := fmt.Sprintf("%x-%d", combined.Sum(nil), len(etags)); !bytes.Contains(text, []byte(want)) {
		return fmt.Errorf("blob upload: the assembled upload's checksum is not %s", want)
	}
	return nil
}

// putBlob PUTs size bytes of body to an upload URL and returns the ETag the
// store answers (unquoted; "" if none). With contentMD5, a single-part upload
// sends Content-Type application/octet-stream and, to S3, Content-MD5, as the
// Python client's _upload_to_s3_url; parts are sent with neither.
func putBlob(ctx context.Context, uploadURL string, body io.Reader, size int64, contentMD5 []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, body)
	if err != nil {
		return "", err
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	if contentMD5 != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
		if u, err := url.Parse(uploadURL); err == nil && strings.HasSuffix(u.Hostname(), ".amazonaws.com") {
			req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(contentMD5))
		}
	}
	resp, err := blobHTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("blob upload: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", fmt.Errorf("blob upload: %s: %s", resp.Status, bytes.TrimSpace(text))
	}
	io.Copy(io.Discard, resp.Body)
	etag := strings.TrimSpace(resp.Header.Get("ETag"))
	etag = strings.TrimPrefix(strings.TrimPrefix(etag, "W/"), "w/")
	return strings.Trim(etag, `"`), nil
}

// forEach calls fn for each item, at most limit at once, and returns the
// first error (which cancels the context the others get).
func forEach[T any](ctx context.Context, items []T, limit int, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, item := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, item); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// Modal's debian_slim recipe, from modal-labs/modal-client: modal/image.py
// (_Image.debian_slim's build_dockerfile, _dockerhub_python_version,
// _validate_python_version, SUPPORTED_PYTHON_SERIES,
// _get_modal_requirements_command) and modal/builder/base-images.json
// (commit 09c2cc9fd7df738fb795809d3a87eb178d87eaa9), for builder versions
// 2023.12, 2024.04, 2024.10, 2025.06 and PREVIEW. For version V and Python
// X.Y it is:
//
//	FROM python:X.Y.Z-slim-CODENAME    (Z from base-images.json "python"; CODENAME bullseye for 2023.12, else bookworm)
//	COPY /modal_requirements.txt /modal_requirements.txt          (V <= 2024.10)
//	RUN apt-get update
//	RUN apt-get install -y gcc gfortran build-essential
//	RUN pip install --upgrade pip wheel uv                        ("pip" alone for 2023.12)
//	RUN <install -r /modal_requirements.txt>                      (V <= 2024.10: pip for 2023.12 and 2024.04, uv for 2024.10)
//	RUN echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections
//	RUN rm /modal_requirements.txt                                (2023.12 < V <= 2024.10)
//	CMD ["sleep", "172800"]                                       (V > 2024.10)
//
// with /modal_requirements.txt sent in the image definition's context_files
// (V <= 2024.10), Modal's pinned client dependencies
// (modal/builder/<V>.txt). From 2025.06 on, Modal mounts its client at run
// time, the recipe has no context files, and modalc's image definition is the
// Python client's, byte for byte. Up to 2024.10 one thing differs: modalc
// does not carry Modal's requirements files, and sends a minimal one that
// names only pip (already installed by the step before, so the install step
// is a no-op for pip and uv alike). A sandbox does not run Modal's Python
// runtime, so nothing needs those packages; but the image is not the one
// Python would build (nor its cache entry).
//
// A builder version newer than 2025.06 that modalc does not know gets the
// 2025.06 recipe (the Python client would refuse it until upgraded); an older
// unknown one is an error.

// debianSlimPython is base-images.json "python": the micro version of each
// Python series, per builder version.
var debianSlimPython = map[string][]string{
	"2023.12": {"3.9.15", "3.10.8", "3.11.0", "3.12.1"},
	"2024.04": {"3.9.19", "3.10.14", "3.11.8", "3.12.2"},
	"2024.10": {"3.9.20", "3.10.15", "3.11.10", "3.12.6", "3.13.0"},
	"2025.06": {"3.9.22", "3.10.17", "3.11.12", "3.12.10", "3.13.3", "3.14.0"},
	"PREVIEW": {"3.9.22", "3.10.17", "3.11.12", "3.12.10", "3.13.3", "3.14.0"},
}

// supportedPythonSeries is modal/image.py SUPPORTED_PYTHON_SERIES.
var supportedPythonSeries = map[string][]string{
	"2023.12": {"3.10", "3.11", "3.12"},
	"2024.04": {"3.10", "3.11", "3.12"},
	"2024.10": {"3.10", "3.11", "3.12", "3.13"},
	"2025.06": {"3.10", "3.11", "3.12", "3.13", "3.14", "3.14t"},
	"PREVIEW": {"3.10", "3.11", "3.12", "3.13", "3.14", "3.14t"},
}

// defaultPython is the Python of the default image when none is given.
const defaultPython = "3.12"

// pythonVersionRe is _validate_python_version's pattern.
var pythonVersionRe = regexp.MustCompile(`^3(?:\.\d{1,2}){1,2}(rc\d*)?t?$`)

// builderVersionRe matches a dated builder version.
var builderVersionRe = regexp.MustCompile(`^\d{4}\.\d{2}$`)

const containerRequirementsPath = "/modal_requirements.txt"

// minimalRequirements stands in for Modal's client requirements file.
const minimalRequirements = "# modalc: Modal's client requirements are not installed (a sandbox does not\n" +
	"# run Modal's Python runtime). pip is already installed: nothing changes.\n" +
	"pip\n"

// debianSlim returns the dockerfile_commands and context_files of Modal's
// debian_slim image for builder version version and Python python.
func debianSlim(version, python string) ([]string, []*pb.ImageContextFile, error) {
	recipe := version
	if _, ok := debianSlimPython[version]; !ok {
		if !builderVersionRe.MatchString(version) || version < "2025.06" {
			return nil, nil, fmt.Errorf("image builder version %q: modalc knows 2023.12, 2024.04, 2024.10, 2025.06 and PREVIEW", version)
		}
		recipe = "2025.06"
	}
	full, err := dockerhubPython(recipe, python)
	if err != nil {
		return nil, nil, err
	}
	codename := "bookworm"
	tools := "pip wheel uv"
	if recipe == "2023.12" {
		codename, tools = "bullseye", "pip"
	}
	withRequirements := recipe <= "2024.10"
	commands := []string{fmt.Sprintf("FROM python:%s-slim-%s", full, codename)}
	if withRequirements {
		commands = append(commands, fmt.Sprintf("COPY %s %s", containerRequirementsPath, containerRequirementsPath))
	}
	commands = append(commands,
		"RUN apt-get update",
		"RUN apt-get install -y gcc gfortran build-essential",
		"RUN pip install --upgrade "+tools,
	)
	if withRequirements {
		var install string
		switch recipe {
		case "2023.12":
			install = "pip install"
		case "2024.04":
			install = "pip install --no-cache --no-deps"
		default:
			install = "uv pip install --system --compile-bytecode --no-cache --no-deps"
		}
		commands = append(commands, fmt.Sprintf("RUN %s -r %s", install, containerRequirementsPath))
	}
	commands = append(commands, "RUN echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections")
	if withRequirements && recipe > "2023.12" {
		commands = append(commands, "RUN rm "+containerRequirementsPath)
	}
	if !withRequirements {
		// "for convenience when launching in a sandbox: sleep for 48h"
		commands = append(commands, fmt.Sprintf(`CMD ["sleep", "%d"]`, 48*3600))
	}
	var files []*pb.ImageContextFile
	if withRequirements {
		files = []*pb.ImageContextFile{pb.ImageContextFile_builder{
			Filename: containerRequirementsPath,
			Data:     []byte(minimalRequirements),
		}.Build()}
	}
	return commands, files, nil
}

// dockerhubPython is _dockerhub_python_version for debian_slim: a full
// X.Y.Z is used as given; a series X.Y gets the micro version of the builder
// version's pre-built image.
func dockerhubPython(version, python string) (string, error) {
	if python == "" {
		python = defaultPython
	}
	if !pythonVersionRe.MatchString(python) {
		return "", fmt.Errorf("invalid Python version %q", python)
	}
	if strings.HasSuffix(python, "t") {
		return "", fmt.Errorf("python %q: free-threaded Python is not supported by Modal's debian_slim image", python)
	}
	parts := strings.Split(python, ".")
	series := parts[0] + "." + parts[1]
	if !slices.Contains(supportedPythonSeries[version], series) {
		return "", fmt.Errorf("python %q: with image builder version %s, Modal supports %s",
			python, version, strings.Join(supportedPythonSeries[version], ", "))
	}
	if len(parts) == 3 {
		return python, nil
	}
	for _, v := range debianSlimPython[version] {
		if micro, ok := strings.CutPrefix(v, series+"."); ok {
			return series + "." + micro, nil
		}
	}
	return "", fmt.Errorf("python %s: no pre-built version for image builder %s", series, version)
}

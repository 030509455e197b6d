package modaltest

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	pb "github.com/modal-labs/modal-client/go/proto/modal_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// imageRec is one image definition and its (single) build.
type imageRec struct {
	id             string
	key            string
	commands       []string
	baseImageIDs   []string
	buildArgs      map[string]string
	contextMountID string
	contextFiles   []string
	secretIDs      []string
	gpu            string
	builderVersion string
	hits           int

	// Build progress, guarded by Server.mu.
	logs    []string
	result  *pb.GenericResult
	changed chan struct{}
}

func (img *imageRec) notifyLocked() {
	close(img.changed)
	img.changed = make(chan struct{})
}

func (img *imageRec) status() string {
	switch {
	case img.result == nil:
		return "building"
	case img.result.GetStatus() == pb.GenericResult_GENERIC_STATUS_SUCCESS:
		return "success"
	default:
		return "failure"
	}
}

// mountRec is a mount: a list of files whose content the server holds.
type mountRec struct {
	id, appID, name, environment string
	files                        []MountFile
}

// ImageGetOrCreate registers an image definition. An identical definition
// (commands, base images, build-context content, build args, secrets, GPU,
// builder version) that built successfully returns the same image ID with a
// SUCCESS result ("already built") unless force_build is set; any other request
// starts a build and returns the new image's ID without a result, so the
// client follows the build with ImageJoinStreaming.
func (c *controlPlane) ImageGetOrCreate(_ context.Context, req *pb.ImageGetOrCreateRequest) (*pb.ImageGetOrCreateResponse, error) {
	s := c.s
	def := req.GetImage()
	if def == nil {
		return nil, status.Error(codes.InvalidArgument, "image definition is missing")
	}
	s.mu.Lock()
	if req.GetAppId() != "" && s.apps[req.GetAppId()] == nil {
		s.mu.Unlock()
		return nil, status.Errorf(codes.NotFound, "App '%s' not found", req.GetAppId())
	}
	img := &imageRec{
		commands:       slices.Clone(def.GetDockerfileCommands()),
		buildArgs:      cloneMap(def.GetBuildArgs()),
		contextMountID: def.GetContextMountId(),
		secretIDs:      slices.Clone(def.GetSecretIds()),
		gpu:            gpuString(def.GetGpuConfig()),
		builderVersion: req.GetBuilderVersion(),
		changed:        make(chan struct{}),
	}
	for _, b := range def.GetBaseImages() {
		base := s.images[b.GetImageId()]
		if base == nil {
			s.mu.Unlock()
			return nil, status.Errorf(codes.NotFound, "base image '%s' not found", b.GetImageId())
		}
		img.baseImageIDs = append(img.baseImageIDs, b.GetImageId())
	}
	for _, id := range img.secretIDs {
		if s.secrets[id] == nil {
			s.mu.Unlock()
			return nil, status.Errorf(codes.NotFound, "Secret '%s' not found", id)
		}
	}
	var contextFiles []MountFile
	if id := img.contextMountID; id != "" {
		m := s.mounts[id]
		if m == nil {
			s.mu.Unlock()
			return nil, status.Errorf(codes.NotFound, "context mount '%s' not found", id)
		}
		contextFiles = slices.Clone(m.files)
	}
	// Files sent inline (Image.context_files, as Modal's Python client sends
	// its requirements file) are part of the build context too.
	for _, f := range def.GetContextFiles() {
		sum := sha256.Sum256(f.GetData())
		contextFiles = append(contextFiles, MountFile{
			Filename:  f.GetFilename(),
			Sha256Hex: hex.EncodeToString(sum[:]),
			Size:      uint64(len(f.GetData())),
			Mode:      0o644,
		})
	}
	for _, f := range contextFiles {
		img.contextFiles = append(img.contextFiles, f.Filename)
	}
	img.key = imageKey(img, contextFiles, def.GetImageRegistryConfig() != nil)

	if prev := s.imagesByKey[img.key]; prev != nil && !req.GetForceBuild() {
		if prev.result == nil || prev.result.GetStatus() == pb.GenericResult_GENERIC_STATUS_SUCCESS {
			prev.hits++
			resp := pb.ImageGetOrCreateResponse_builder{ImageId: prev.id, Result: prev.result}
			s.mu.Unlock()
			return resp.Build(), nil
		}
	}
	img.id = newID("im-")
	s.images[img.id] = img
	s.imagesByKey[img.key] = img
	s.imageOrder = append(s.imageOrder, img)
	s.mu.Unlock()

	steps := dockerfileSteps(img.commands)
	if s.opts.buildStepDelay > 0 {
		go s.build(img, steps, contextFiles)
	} else {
		s.build(img, steps, contextFiles)
	}
	return pb.ImageGetOrCreateResponse_builder{ImageId: img.id}.Build(), nil
}

// imageKey identifies an image definition: what Modal would hash to find an
// image already built.
func imageKey(img *imageRec, contextFiles []MountFile, registry bool) string {
	files := make([]string, 0, len(contextFiles))
	for _, f := range contextFiles {
		files = append(files, fmt.Sprintf("%s %s %o", f.Filename, f.Sha256Hex, f.Mode))
	}
	slices.Sort(files)
	b, _ := json.Marshal(struct {
		Commands       []string
		Bases          []string
		BuildArgs      map[string]string // encoding/json sorts map keys
		Context        []string
		Secrets        []string
		GPU            string
		BuilderVersion string
		Registry       bool
	}{img.commands, img.baseImageIDs, img.buildArgs, files, img.secretIDs, img.gpu, img.builderVersion, registry})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// dockerfileSteps splits Dockerfile commands into instructions, joining
// continuation lines and dropping blank lines and comments.
func dockerfileSteps(commands []string) []string {
	var steps []string
	var cur strings.Builder
	for _, cmd := range commands {
		for line := range strings.SplitSeq(cmd, "\n") {
			trimmed := strings.TrimSpace(line)
			if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
				continue
			}
			if rest, ok := strings.CutSuffix(trimmed, "\\"); ok {
				cur.WriteString(strings.TrimSpace(rest) + " ")
				continue
			}
			cur.WriteString(trimmed)
			steps = append(steps, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		steps = append(steps, strings.TrimSpace(cur.String()))
	}
	return steps
}

// runExitRe matches a RUN instruction whose command ends by exiting with a
// status: "RUN exit 3", "RUN make && exit 3".
var runExitRe = regexp.MustCompile(`(?i)^RUN\s+(.*\bexit\s+(\d+))\s*$`)

// build runs an image's build: one log line per instruction, then a result. A
// RUN that exits non-zero, or a COPY/ADD of a path missing from the build
// context, fails it.
func (s *Server) build(img *imageRec, steps []string, contextFiles []MountFile) {
	for i, step := range steps {
		if d := s.opts.buildStepDelay; d > 0 {
			select {
			case <-time.After(d):
			case <-s.closed:
				return
			}
		}
		lines := []string{fmt.Sprintf("Step %d/%d : %s\n", i+1, len(steps), step)}
		var failure string
		if m := runExitRe.FindStringSubmatch(step); m != nil && m[2] != "0" {
			code, _ := strconv.Atoi(m[2])
			failure = fmt.Sprintf("The command '/bin/sh -c %s' returned a non-zero code: %d", m[1], code)
		} else if msg := checkCopy(step, img.contextMountID != "" || len(contextFiles) > 0, contextFiles); msg != "" {
			failure = msg
		}
		if failure != "" {
			lines = append(lines, failure+"\n")
		}
		s.mu.Lock()
		img.logs = append(img.logs, lines...)
		if failure != "" {
			img.result = pb.GenericResult_builder{
				Status:    pb.GenericResult_GENERIC_STATUS_FAILURE,
				Exception: fmt.Sprintf("Build step %d/%d failed: %s", i+1, len(steps), failure),
				Exitcode:  1,
			}.Build()
		}
		img.notifyLocked()
		s.mu.Unlock()
		if failure != "" {
			return
		}
	}
	s.mu.Lock()
	img.logs = append(img.logs, fmt.Sprintf("Successfully built %s\n", img.id))
	img.result = pb.GenericResult_builder{Status: pb.GenericResult_GENERIC_STATUS_SUCCESS}.Build()
	img.notifyLocked()
	s.mu.Unlock()
}

// checkCopy returns why a COPY or ADD instruction cannot find its sources in
// the build context, or "" if it can (or the instruction copies from another
// stage, a URL, a heredoc, or a path with variables). Context file names are
// compared relative to the context root, with or without a leading "/".
func checkCopy(step string, hasContext bool, files []MountFile) string {
	fields := strings.Fields(step)
	if len(fields) < 2 {
		return ""
	}
	op := strings.ToUpper(fields[0])
	if op != "COPY" && op != "ADD" {
		return ""
	}
	args := fields[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		if strings.HasPrefix(args[0], "--from=") {
			return ""
		}
		args = args[1:]
	}
	rest := strings.Join(args, " ")
	if strings.HasPrefix(rest, "[") {
		var list []string
		if json.Unmarshal([]byte(rest), &list) != nil {
			return ""
		}
		args = list
	}
	if len(args) < 2 {
		return ""
	}
	norm := func(p string) string { return path.Clean(strings.TrimPrefix(strings.TrimPrefix(p, "./"), "/")) }
	var names []string
	for _, f := range files {
		names = append(names, norm(f.Filename))
	}
	for _, src := range args[:len(args)-1] {
		if strings.Contains(src, "://") || strings.HasPrefix(src, "<<") || strings.Contains(src, "$") || strings.HasPrefix(src, "git@") {
			continue
		}
		if !hasContext {
			return fmt.Sprintf("%s failed: no build context for %q", op, src)
		}
		want := norm(src)
		if want == "." {
			continue
		}
		if !slices.ContainsFunc(names, func(name string) bool { return pathCovers(want, name) }) {
			return fmt.Sprintf("%s failed: file not found in build context: %s", op, src)
		}
	}
	return ""
}

// pathCovers reports whether the source pattern want names file (exactly, as
// a parent directory, or as a glob matching the file or a parent).
func pathCovers(want, file string) bool {
	for p := file; p != "." && p != "/"; p = path.Dir(p) {
		if p == want {
			return true
		}
		if ok, _ := path.Match(want, p); ok {
			return true
		}
	}
	return false
}

// ImageJoinStreaming streams a build's log lines after last_entry_id, one
// task_logs entry per message, and then a message with the result. If the
// build is still running when the request's timeout (default 55 s) passes,
// the stream ends without a result and the SDK opens it again.
func (c *controlPlane) ImageJoinStreaming(req *pb.ImageJoinStreamingRequest, stream grpc.ServerStreamingServer[pb.ImageJoinStreamingResponse]) error {
	s := c.s
	s.mu.Lock()
	img := s.images[req.GetImageId()]
	s.mu.Unlock()
	if img == nil {
		return status.Errorf(codes.NotFound, "Image '%s' not found", req.GetImageId())
	}
	next, _ := strconv.Atoi(req.GetLastEntryId()) // entries are numbered from 1
	timeout := time.Duration(req.GetTimeout() * float32(time.Second))
	if timeout <= 0 {
		timeout = 55 * time.Second
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		logs := img.logs[min(next, len(img.logs)):]
		result, changed := img.result, img.changed
		s.mu.Unlock()
		for _, line := range logs {
			next++
			msg := pb.ImageJoinStreamingResponse_builder{
				TaskLogs: []*pb.TaskLogs{pb.TaskLogs_builder{
					Data:           line,
					FileDescriptor: pb.FileDescriptor_FILE_DESCRIPTOR_STDOUT,
					Timestamp:      now(),
				}.Build()},
				EntryId: strconv.Itoa(next),
			}.Build()
			if err := stream.Send(msg); err != nil {
				return err
			}
		}
		if result != nil {
			return stream.Send(pb.ImageJoinStreamingResponse_builder{
				Result:  result,
				EntryId: strconv.Itoa(next),
				Eof:     true,
			}.Build())
		}
		if timedOut, err := s.await(stream.Context(), changed, deadline.C); err != nil || timedOut {
			return err
		}
	}
}

// MountPutFile stores a file's content by SHA-256, following Modal's protocol:
// a request with no data asks whether the content is present (exists); a
// request with data (inline, or a blob ID from BlobCreate) stores it and
// answers exists=true. Inline bytes count as uploaded only when the content
// is new.
func (c *controlPlane) MountPutFile(_ context.Context, req *pb.MountPutFileRequest) (*pb.MountPutFileResponse, error) {
	s := c.s
	sha := strings.ToLower(req.GetSha256Hex())
	if len(sha) != 64 {
		return nil, status.Errorf(codes.InvalidArgument, "bad sha256_hex %q", req.GetSha256Hex())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, present := s.files[sha]
	var data []byte
	switch req.WhichDataOneof() {
	case pb.MountPutFileRequest_Data_case:
		data = req.GetData()
		if !present {
			s.bytesUploaded += int64(len(data))
		}
	case pb.MountPutFileRequest_DataBlobId_case:
		blob := s.blobs[req.GetDataBlobId()]
		if blob == nil || !blob.uploaded {
			return nil, status.Errorf(codes.NotFound, "blob '%s' not found or not uploaded", req.GetDataBlobId())
		}
		data = blob.data
	default:
		return pb.MountPutFileResponse_builder{Exists: present, CheckedAt: timestamppb.Now()}.Build(), nil
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sha {
		return nil, status.Errorf(codes.InvalidArgument, "content does not match sha256_hex %s", sha)
	}
	if !present {
		s.files[sha] = slices.Clone(data)
	}
	return pb.MountPutFileResponse_builder{Exists: true, CheckedAt: timestamppb.Now()}.Build(), nil
}

// MountGetOrCreate makes a mount of files whose content was stored with
// MountPutFile; a file whose content is missing fails the call with
// FAILED_PRECONDITION naming the missing hashes. A named mount is looked up
// (NOT_FOUND) for object_creation_type UNSPECIFIED.
func (c *controlPlane) MountGetOrCreate(_ context.Context, req *pb.MountGetOrCreateRequest) (*pb.MountGetOrCreateResponse, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	env := normEnv(req.GetEnvironmentName())
	name := req.GetDeploymentName()
	var existing *mountRec
	if name != "" {
		for _, m := range s.mountOrder {
			if m.name == name && m.environment == env {
				existing = m
			}
		}
	}
	creation := req.GetObjectCreationType()
	switch {
	case creation == pb.ObjectCreationType_OBJECT_CREATION_TYPE_UNSPECIFIED && name != "":
		if existing == nil {
			return nil, status.Errorf(codes.NotFound, "Mount '%s' not found", name)
		}
		return mountResponse(existing), nil
	case creation == pb.ObjectCreationType_OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS && existing != nil:
		return nil, status.Errorf(codes.AlreadyExists, "Mount '%s' already exists", name)
	case creation == pb.ObjectCreationType_OBJECT_CREATION_TYPE_CREATE_IF_MISSING && existing != nil:
		return mountResponse(existing), nil
	}
	if id := req.GetAppId(); id != "" && s.apps[id] == nil {
		return nil, status.Errorf(codes.NotFound, "App '%s' not found", id)
	}
	m := &mountRec{id: newID("mo-"), appID: req.GetAppId(), name: name, environment: env}
	var missing []string
	for _, f := range req.GetFiles() {
		sha := strings.ToLower(f.GetSha256Hex())
		content, ok := s.files[sha]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (%s)", sha, f.GetFilename()))
			continue
		}
		size := uint64(len(content))
		if f.HasSize() && f.GetSize() != size {
			return nil, status.Errorf(codes.InvalidArgument, "file %s: size %d does not match content (%d bytes)", f.GetFilename(), f.GetSize(), size)
		}
		m.files = append(m.files, MountFile{Filename: f.GetFilename(), Sha256Hex: sha, Size: size, Mode: f.GetMode()})
	}
	if len(missing) > 0 {
		return nil, status.Errorf(codes.FailedPrecondition, "mount file content not uploaded (call MountPutFile first): %s", strings.Join(missing, ", "))
	}
	s.mounts[m.id] = m
	s.mountOrder = append(s.mountOrder, m)
	return mountResponse(m), nil
}

func mountResponse(m *mountRec) *pb.MountGetOrCreateResponse {
	h := sha256.New()
	for _, f := range m.files {
		fmt.Fprintf(h, "%s %s\n", f.Filename, f.Sha256Hex)
	}
	return pb.MountGetOrCreateResponse_builder{
		MountId: m.id,
		HandleMetadata: pb.MountHandleMetadata_builder{
			ContentChecksumSha256Hex: hex.EncodeToString(h.Sum(nil)),
		}.Build(),
	}.Build()
}

// BlobCreate returns an upload URL on the server's HTTP endpoint, which takes
// the content with one PUT, or, with WithBlobMultipart and content longer than
// the part length, a multipart upload: one URL per part and a completion URL.
func (c *controlPlane) BlobCreate(_ context.Context, req *pb.BlobCreateRequest) (*pb.BlobCreateResponse, error) {
	s := c.s
	if req.GetContentLength() < 0 {
		return nil, status.Error(codes.InvalidArgument, "negative content_length")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &blobRec{id: newID("bl-"), length: req.GetContentLength()}
	s.blobs[b.id] = b
	base := s.blobURL + "/blobs/" + b.id
	if part := s.opts.blobPartLength; part > 0 && b.length > part {
		b.partLength = part
		b.nparts = int((b.length + part - 1) / part)
		b.parts = map[int][]byte{}
		urls := make([]string, b.nparts)
		for i := range urls {
			urls[i] = fmt.Sprintf("%s/parts/%d", base, i+1)
		}
		return pb.BlobCreateResponse_builder{
			BlobId: b.id,
			Multipart: pb.MultiPartUpload_builder{
				PartLength:    part,
				UploadUrls:    urls,
				CompletionUrl: base + "/complete",
			}.Build(),
		}.Build(), nil
	}
	return pb.BlobCreateResponse_builder{BlobId: b.id, UploadUrl: &base}.Build(), nil
}

// BlobGet returns a download URL for an uploaded blob.
func (c *controlPlane) BlobGet(_ context.Context, req *pb.BlobGetRequest) (*pb.BlobGetResponse, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.blobs[req.GetBlobId()]
	if b == nil || !b.uploaded {
		return nil, status.Errorf(codes.NotFound, "blob '%s' not found", req.GetBlobId())
	}
	return pb.BlobGetResponse_builder{DownloadUrl: s.blobURL + "/blobs/" + b.id}.Build(), nil
}

// serveBlob is the HTTP endpoint behind blob URLs, in the manner of S3's
// presigned URLs: PUT /blobs/ID stores the body, PUT /blobs/ID/parts/N stores
// part N of a multipart upload and POST /blobs/ID/complete assembles the parts
// (bodies count as uploaded bytes); GET /blobs/ID returns the content. A PUT
// answers with the body's MD5 as ETag, and checks a Content-MD5 header when
// one is sent.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/blobs/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	id, sub, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	b := s.blobs[id]
	s.mu.Unlock()
	if b == nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case sub == "" && r.Method == http.MethodPut:
		if b.nparts > 0 {
			http.Error(w, "blob takes a multipart upload", http.StatusBadRequest)
			return
		}
		data, ok := readPut(w, r, b.length)
		if !ok {
			return
		}
		s.mu.Lock()
		b.data, b.uploaded = data, true
		s.bytesUploaded += int64(len(data))
		s.mu.Unlock()
	case strings.HasPrefix(sub, "parts/") && r.Method == http.MethodPut:
		n, err := strconv.Atoi(strings.TrimPrefix(sub, "parts/"))
		if err != nil || n < 1 || n > b.nparts {
			http.NotFound(w, r)
			return
		}
		want := min(b.partLength, b.length-int64(n-1)*b.partLength)
		data, ok := readPut(w, r, want)
		if !ok {
			return
		}
		s.mu.Lock()
		b.parts[n] = data
		s.bytesUploaded += int64(len(data))
		s.mu.Unlock()
	case sub == "complete" && r.Method == http.MethodPost && b.nparts > 0:
		s.completeMultipart(w, r, b)
	case sub == "" && r.Method == http.MethodGet:
		s.mu.Lock()
		data, uploaded := b.data, b.uploaded
		s.mu.Unlock()
		if !uploaded {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// readPut reads a PUT body of want bytes, checks its Content-MD5 if any, and
// answers with its ETag. It has written an error if ok is false.
func readPut(w http.ResponseWriter, r *http.Request, want int64) (data []byte, ok bool) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	if int64(len(data)) != want {
		http.Error(w, fmt.Sprintf("got %d bytes, want %d", len(data), want), http.StatusBadRequest)
		return nil, false
	}
	sum := md5.Sum(data)
	if h := r.Header.Get("Content-MD5"); h != "" && h != base64.StdEncoding.EncodeToString(sum[:]) {
		http.Error(w, "Content-MD5 does not match the body", http.StatusBadRequest)
		return nil, false
	}
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.WriteHeader(http.StatusOK)
	return data, true
}

// completeMultipart assembles a multipart upload from the parts the request
// lists (S3's CompleteMultipartUpload: every part, in order, with its ETag)
// and answers with the combined ETag: the MD5 of the parts' MD5s, "-N".
func (s *Server) completeMultipart(w http.ResponseWriter, r *http.Request, b *blobRec) {
	var req struct {
		Parts []struct {
			PartNumber int
			ETag       string
		} `xml:"Part"`
	}
	if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad completion body: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(req.Parts) != b.nparts {
		http.Error(w, fmt.Sprintf("%d parts listed, want %d", len(req.Parts), b.nparts), http.StatusBadRequest)
		return
	}
	var data []byte
	combined := md5.New()
	for i, p := range req.Parts {
		part, ok := b.parts[p.PartNumber]
		if p.PartNumber != i+1 || !ok {
			http.Error(w, fmt.Sprintf("part %d missing or out of order", p.PartNumber), http.StatusBadRequest)
			return
		}
		sum := md5.Sum(part)
		if strings.Trim(p.ETag, `"`) != hex.EncodeToString(sum[:]) {
			http.Error(w, fmt.Sprintf("part %d: ETag %s does not match", p.PartNumber, p.ETag), http.StatusBadRequest)
			return
		}
		combined.Write(sum[:])
		data = append(data, part...)
	}
	b.data, b.uploaded, b.parts = data, true, nil
	etag := fmt.Sprintf("%s-%d", hex.EncodeToString(combined.Sum(nil)), b.nparts)
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, "<CompleteMultipartUploadResult><ETag>&quot;%s&quot;</ETag></CompleteMultipartUploadResult>", etag)
}

// gpuString formats a GPU config as the SDK's GPU parameter: "A100", "T4:2".
func gpuString(g *pb.GPUConfig) string {
	if g == nil {
		return ""
	}
	name := g.GetGpuType()
	if name == "" && g.GetType() != pb.GPUType_GPU_TYPE_UNSPECIFIED {
		name = strings.TrimPrefix(g.GetType().String(), "GPU_TYPE_")
	}
	if name == "" {
		return ""
	}
	if g.GetCount() > 1 {
		return fmt.Sprintf("%s:%d", name, g.GetCount())
	}
	return name
}

// ImageFromId looks an image up by ID (the SDK's Images.FromID): NotFound
// for an ID the server never made.
func (c *controlPlane) ImageFromId(ctx context.Context, req *pb.ImageFromIdRequest) (*pb.ImageFromIdResponse, error) {
	s := c.s
	s.mu.Lock()
	img := s.images[req.GetImageId()]
	s.mu.Unlock()
	if img == nil {
		return nil, status.Errorf(codes.NotFound, "Image '%s' not found", req.GetImageId())
	}
	return pb.ImageFromIdResponse_builder{ImageId: img.id}.Build(), nil
}

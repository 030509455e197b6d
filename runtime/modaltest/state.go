package modaltest

import (
	"maps"
	"slices"
	"sort"
	"time"
)

// State is a snapshot of what the server holds and has seen, for assertions.
// Lists are in creation order.
type State struct {
	// Running is the number of sandboxes that have not finished.
	Running int `json:"running"`
	// Sandboxes are all sandboxes, finished ones included.
	Sandboxes []Sandbox `json:"sandboxes"`
	// Calls counts the calls that reached the server, per RPC short name
	// (failed ones and retries included).
	Calls map[string]int `json:"calls"`
	// Apps are the apps created.
	Apps []App `json:"apps"`
	// Images are the image builds started; an ImageGetOrCreate answered from
	// an earlier build counts in that image's Hits instead.
	Images []Image `json:"images"`
	// Mounts are the mounts created.
	Mounts []Mount `json:"mounts"`
	// BytesUploaded counts file content received: the bytes of MountPutFile
	// requests whose content was new, and the bodies of blob uploads.
	BytesUploaded int64 `json:"bytes_uploaded"`
}

// Sandbox describes a sandbox and a summary of its definition.
type Sandbox struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	AppID  string `json:"app_id"`
	TaskID string `json:"task_id"`
	// V2 says which backend created it: true for SandboxCreateV2, false for
	// SandboxCreate (V1, the SDK's path for GPUs).
	V2 bool `json:"v2"`
	// Status is "running" or, once finished, the result's status in lower
	// case: "terminated", "timeout", "success", "failure".
	Status     string            `json:"status"`
	Tags       map[string]string `json:"tags,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	FinishedAt time.Time         `json:"finished_at,omitzero"`

	ImageID     string   `json:"image_id"`
	Command     []string `json:"command,omitempty"` // entrypoint_args
	Workdir     string   `json:"workdir,omitempty"`
	CPU         float64  `json:"cpu,omitempty"`        // cores (milli_cpu / 1000)
	CPULimit    float64  `json:"cpu_limit,omitempty"`  // cores (milli_cpu_max / 1000)
	MemoryMiB   int      `json:"memory_mib,omitempty"` // memory_mb
	MemoryLimit int      `json:"memory_limit_mib,omitempty"`
	GPU         string   `json:"gpu,omitempty"` // "A100", "T4:2"
	// EnvKeys are the names of the environment variables the sandbox gets from
	// its secrets and env, sorted.
	EnvKeys      []string `json:"env_keys,omitempty"`
	SecretIDs    []string `json:"secret_ids,omitempty"`
	BlockNetwork bool     `json:"block_network,omitempty"`
	// Network is the network access type: "OPEN", "BLOCKED", "ALLOWLIST" (or
	// "" if unset).
	Network      string   `json:"network,omitempty"`
	AllowedCIDRs []string `json:"allowed_cidrs,omitempty"`
	Ports        []int    `json:"ports,omitempty"` // open ports
	TimeoutSecs  int      `json:"timeout_secs,omitempty"`
	Cloud        string   `json:"cloud,omitempty"`
	Regions      []string `json:"regions,omitempty"`

	// Dir is the local directory that stands for the sandbox's "/".
	Dir string `json:"dir"`
	// Execs are the commands exec'd in the sandbox.
	Execs []Exec `json:"execs,omitempty"`
}

// Exec describes a command exec'd in a sandbox.
type Exec struct {
	ID   string   `json:"id"`
	Args []string `json:"args"`
	// Exited says whether it has finished; ExitCode is then its exit code, or
	// 128 plus the signal that killed it.
	Exited   bool `json:"exited"`
	ExitCode int  `json:"exit_code"`
}

// App is an app.
type App struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Environment string `json:"environment"`
}

// Image is an image build.
type Image struct {
	ID                 string            `json:"id"`
	DockerfileCommands []string          `json:"dockerfile_commands"`
	BaseImageIDs       []string          `json:"base_image_ids,omitempty"`
	BuildArgs          map[string]string `json:"build_args,omitempty"`
	ContextMountID     string            `json:"context_mount_id,omitempty"`
	// ContextFiles are the file names of the build context: the context
	// mount's, then the files sent inline (Image.context_files).
	ContextFiles   []string `json:"context_files,omitempty"`
	SecretIDs      []string `json:"secret_ids,omitempty"`
	GPU            string   `json:"gpu,omitempty"`
	BuilderVersion string   `json:"builder_version,omitempty"`
	// Status is "building", "success" or "failure".
	Status string `json:"status"`
	// Hits counts the later ImageGetOrCreate calls answered with this build.
	Hits int `json:"hits"`
	// Log is the build's log lines.
	Log []string `json:"log"`
}

// Mount is a mount and its files.
type Mount struct {
	ID    string      `json:"id"`
	AppID string      `json:"app_id,omitempty"`
	Name  string      `json:"name,omitempty"`
	Files []MountFile `json:"files"`
}

// MountFile is a file in a mount.
type MountFile struct {
	Filename  string `json:"filename"`
	Sha256Hex string `json:"sha256_hex"`
	Size      uint64 `json:"size"`
	Mode      uint32 `json:"mode"`
}

// State returns a snapshot of the server's state.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{
		Calls:         map[string]int{},
		BytesUploaded: s.bytesUploaded,
		Sandboxes:     []Sandbox{},
		Apps:          []App{},
		Images:        []Image{},
		Mounts:        []Mount{},
	}
	for m, n := range s.calls {
		st.Calls[shortName(m)] += n
	}
	for _, a := range s.appOrder {
		st.Apps = append(st.Apps, App{ID: a.id, Name: a.name, Environment: a.environment})
	}
	for _, sb := range s.sandboxOrder {
		if sb.result == nil {
			st.Running++
		}
		st.Sandboxes = append(st.Sandboxes, sandboxState(sb))
	}
	for _, img := range s.imageOrder {
		st.Images = append(st.Images, Image{
			ID:                 img.id,
			DockerfileCommands: slices.Clone(img.commands),
			BaseImageIDs:       slices.Clone(img.baseImageIDs),
			BuildArgs:          maps.Clone(img.buildArgs),
			ContextMountID:     img.contextMountID,
			ContextFiles:       slices.Clone(img.contextFiles),
			SecretIDs:          slices.Clone(img.secretIDs),
			GPU:                img.gpu,
			BuilderVersion:     img.builderVersion,
			Status:             img.status(),
			Hits:               img.hits,
			Log:                slices.Clone(img.logs),
		})
	}
	for _, m := range s.mountOrder {
		st.Mounts = append(st.Mounts, Mount{ID: m.id, AppID: m.appID, Name: m.name, Files: slices.Clone(m.files)})
	}
	return st
}

// sandboxState summarizes a sandbox; the caller holds Server.mu.
func sandboxState(sb *sandboxRec) Sandbox {
	def := sb.def
	res := def.GetResources()
	out := Sandbox{
		ID:           sb.id,
		Name:         sb.name,
		AppID:        sb.appID,
		TaskID:       sb.taskID,
		V2:           sb.v2,
		Status:       sandboxStatus(sb.result),
		Tags:         maps.Clone(sb.tags),
		CreatedAt:    floatTime(sb.createdAt),
		FinishedAt:   floatTime(sb.finishedAt),
		ImageID:      def.GetImageId(),
		Command:      slices.Clone(def.GetEntrypointArgs()),
		Workdir:      def.GetWorkdir(),
		CPU:          float64(res.GetMilliCpu()) / 1000,
		CPULimit:     float64(res.GetMilliCpuMax()) / 1000,
		MemoryMiB:    int(res.GetMemoryMb()),
		MemoryLimit:  int(res.GetMemoryMbMax()),
		GPU:          gpuString(res.GetGpuConfig()),
		SecretIDs:    slices.Clone(def.GetSecretIds()),
		AllowedCIDRs: slices.Clone(def.GetNetworkAccess().GetAllowedCidrs()),
		TimeoutSecs:  int(def.GetTimeoutSecs()),
		Cloud:        def.GetCloudProviderStr(),
		Regions:      slices.Clone(def.GetSchedulerPlacement().GetRegions()),
		Dir:          sb.dir,
	}
	if len(out.Tags) == 0 {
		out.Tags = nil
	}
	if na := def.GetNetworkAccess(); na != nil {
		out.Network = na.GetNetworkAccessType().String()
	}
	out.BlockNetwork = def.GetBlockNetwork() || out.Network == "BLOCKED"
	for k := range sb.env {
		out.EnvKeys = append(out.EnvKeys, k)
	}
	sort.Strings(out.EnvKeys)
	for _, p := range def.GetOpenPorts().GetPorts() {
		out.Ports = append(out.Ports, int(p.GetPort()))
	}
	for _, p := range sb.execOrder {
		finished, code, signal := p.exitStatus()
		e := Exec{ID: p.id, Args: slices.Clone(p.args), Exited: finished, ExitCode: int(code)}
		if signal != 0 {
			e.ExitCode = 128 + int(signal)
		}
		out.Execs = append(out.Execs, e)
	}
	return out
}

package validate

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/modalc/modalc/parse"
)

// Lowered are the compose attributes modalc translates (or resolves while
// loading: include, extends), as tree path patterns. Everything below one of
// them is lowered too. Every other attribute of schema.AttributePaths() is
// reported by one of the MC3xx rules, through the classes below.
var Lowered = []string{
	"services.*.image",
	"services.*.build.context",
	"services.*.build.dockerfile",
	"services.*.build.args",
	"services.*.build.target",
	"services.*.entrypoint",
	"services.*.command",
	"services.*.working_dir",
	"services.*.environment",
	"services.*.env_file",
	"services.*.cpus",
	"services.*.mem_limit",
	"services.*.mem_reservation",
	"services.*.network_mode",
	"services.*.extends",
	"services.*.deploy.resources.limits.cpus",
	"services.*.deploy.resources.limits.memory",
	"services.*.deploy.resources.reservations.cpus",
	"services.*.deploy.resources.reservations.memory",
	"services.*.deploy.resources.reservations.devices", // whole: count, device_ids, capabilities; driver and options have no effect
	"include",
}

// Class is how much an untranslated attribute matters.
type Class int

const (
	_        Class = iota
	Loosens        // the sandbox would be less restricted than the file says: error
	Changes        // the sandbox runs differently: warning
	Cosmetic       // no effect on what runs: info
)

// An attrClass says what happens to an attribute modalc does not translate.
type attrClass struct {
	Class   Class
	Instead string // what the sandbox does instead: completes "<attr> is not translated: …"
	Hint    string
}

const (
	insteadRoot     = "a Modal sandbox runs as root"
	hintDropKnowing = "remove it to accept this knowingly"
)

// attrClasses classifies every attribute path modalc does not lower. The
// longest matching pattern wins; a test checks that every path of
// schema.AttributePaths() is lowered or matched here.
var attrClasses = map[string]attrClass{
	// Top level.
	"version":  {Cosmetic, "it is obsolete and ignored", "remove it"},
	"name":     {Cosmetic, "the sandbox is named by modalc (inspect-{task}-{sample}-{hex})", ""},
	"networks": {Changes, "a Modal sandbox has one network interface and no container networks", "remove it; use x-modal.block_network or x-modal.cidr_allowlist to restrict traffic"},
	"volumes":  {Changes, "a Modal sandbox has no compose volumes", "copy files in with modalc cp, or bake them into the image"},
	"secrets":  {Changes, "compose secrets are not mounted", "use x-modal.secrets with Modal secret names"},
	"configs":  {Changes, "compose configs are not mounted", "bake the file into the image"},
	"models":   {Changes, "compose models are not provided", ""},
	"jobs":     {Changes, "compose jobs are not run", ""},

	// Loosens isolation: errors.
	"services.*.user":                         {Loosens, insteadRoot, "remove it to accept running as root, or drop privileges in the command itself (su, setpriv)"},
	"services.*.cap_drop":                     {Loosens, "the sandbox keeps gVisor's default capabilities", hintDropKnowing},
	"services.*.read_only":                    {Loosens, "the sandbox's root filesystem is writable", hintDropKnowing},
	"services.*.security_opt":                 {Loosens, "no seccomp, AppArmor or SELinux profile is applied beyond gVisor's", hintDropKnowing},
	"services.*.pids_limit":                   {Loosens, "the number of processes is not limited", hintDropKnowing},
	"services.*.deploy.resources.limits.pids": {Loosens, "the number of processes is not limited", hintDropKnowing},
	"services.*.ulimits":                      {Loosens, "no ulimits are set", hintDropKnowing},
	"services.*.userns_mode":                  {Loosens, insteadRoot + " in its own user namespace", hintDropKnowing},
	"services.*.group_add":                    {Loosens, insteadRoot + "; supplementary groups are not set", hintDropKnowing},
	"services.*.umask":                        {Loosens, "the default umask applies", hintDropKnowing},
	"services.*.oom_kill_disable":             {Changes, "Modal's memory limits apply as usual", ""},
	"services.*.build.entitlements":           {Changes, "Modal's builder grants no entitlements", ""},

	// Changes what runs: warnings.
	"services.*.build":                  {Changes, "only context, dockerfile, args and target are used by Modal's image builder", ""},
	"services.*.ports":                  {Changes, "ports are not published", "use x-modal.encrypted_ports (or h2_ports, unencrypted_ports) for tunnels"},
	"services.*.expose":                 {Changes, "ports are not exposed", "use x-modal.encrypted_ports (or h2_ports, unencrypted_ports) for tunnels"},
	"services.*.volumes":                {Changes, "nothing is mounted", "copy files in with modalc cp, or bake them into the image"},
	"services.*.volumes_from":           {Changes, "nothing is mounted", ""},
	"services.*.tmpfs":                  {Changes, "no tmpfs is mounted; the filesystem is writable", ""},
	"services.*.healthcheck":            {Changes, "no health check runs", ""},
	"services.*.depends_on":             {Changes, "there are no other services to wait for", ""},
	"services.*.links":                  {Changes, "there are no other services to link to", ""},
	"services.*.external_links":         {Changes, "there are no other containers to link to", ""},
	"services.*.shm_size":               {Changes, "the sandbox's default /dev/shm size applies", ""},
	"services.*.init":                   {Changes, "no init process is added", ""},
	"services.*.extra_hosts":            {Changes, "/etc/hosts is not changed", ""},
	"services.*.dns":                    {Changes, "Modal's resolver is used", ""},
	"services.*.dns_opt":                {Changes, "Modal's resolver is used", ""},
	"services.*.dns_search":             {Changes, "Modal's resolver is used", ""},
	"services.*.devices":                {Changes, "no host devices are mapped", "request a GPU with x-modal.gpu"},
	"services.*.device_cgroup_rules":    {Changes, "no host devices are mapped", ""},
	"services.*.gpus":                   {Changes, "no GPU is requested from it", "write x-modal.gpu, e.g. gpu: \"A100\""},
	"services.*.configs":                {Changes, "compose configs are not mounted", "bake the file into the image"},
	"services.*.secrets":                {Changes, "compose secrets are not mounted", "use x-modal.secrets with Modal secret names"},
	"services.*.deploy":                 {Changes, "only deploy.resources cpus, memory and GPU devices are used", ""},
	"services.*.deploy.replicas":        {Changes, "one sandbox is created", "use modalc apply --replicas N"},
	"services.*.deploy.labels":          {Cosmetic, "labels are not applied", ""},
	"services.*.deploy.restart_policy":  {Cosmetic, "a sandbox is not restarted", ""},
	"services.*.deploy.update_config":   {Cosmetic, "there are no updates", ""},
	"services.*.deploy.rollback_config": {Cosmetic, "there are no rollbacks", ""},
	"services.*.deploy.endpoint_mode":   {Cosmetic, "there is no service endpoint", ""},
	"services.*.privileged":             {Changes, "the sandbox is not privileged", ""},
	"services.*.cap_add":                {Changes, "no capabilities are added", ""},
	"services.*.networks":               {Changes, "the sandbox has one network interface", "use x-modal.block_network or x-modal.cidr_allowlist"},
	"services.*.hostname":               {Changes, "Modal sets the hostname", ""},
	"services.*.domainname":             {Changes, "Modal sets the hostname", ""},
	"services.*.mac_address":            {Changes, "Modal assigns the network address", ""},
	"services.*.ipc":                    {Changes, "the sandbox has its own IPC namespace", ""},
	"services.*.pid":                    {Changes, "the sandbox has its own process namespace", ""},
	"services.*.uts":                    {Changes, "the sandbox has its own UTS namespace", ""},
	"services.*.cgroup":                 {Changes, "the sandbox has its own cgroup", ""},
	"services.*.cgroup_parent":          {Changes, "the sandbox has its own cgroup", ""},
	"services.*.isolation":              {Changes, "Modal runs sandboxes under gVisor", ""},
	"services.*.runtime":                {Changes, "Modal runs sandboxes under gVisor", ""},
	"services.*.platform":               {Changes, "Modal builds and runs linux/amd64 images", ""},
	"services.*.cpu_count":              {Changes, "cpu is set from cpus and deploy.resources only", "use cpus or deploy.resources.limits.cpus"},
	"services.*.cpu_percent":            {Changes, "cpu is set from cpus and deploy.resources only", "use cpus or deploy.resources.limits.cpus"},
	"services.*.cpu_period":             {Changes, "cpu is set from cpus and deploy.resources only", "use cpus or deploy.resources.limits.cpus"},
	"services.*.cpu_quota":              {Changes, "cpu is set from cpus and deploy.resources only", "use cpus or deploy.resources.limits.cpus"},
	"services.*.cpu_rt_period":          {Changes, "cpu is set from cpus and deploy.resources only", ""},
	"services.*.cpu_rt_runtime":         {Changes, "cpu is set from cpus and deploy.resources only", ""},
	"services.*.cpu_shares":             {Changes, "cpu is set from cpus and deploy.resources only", "use deploy.resources.reservations.cpus"},
	"services.*.cpuset":                 {Changes, "Modal does not pin cpus", ""},
	"services.*.blkio_config":           {Changes, "block I/O is not limited", ""},
	"services.*.mem_swappiness":         {Changes, "memory is set from mem_limit and deploy.resources only", ""},
	"services.*.memswap_limit":          {Changes, "memory is set from mem_limit and deploy.resources only", ""},
	"services.*.oom_score_adj":          {Changes, "Modal's memory limits apply as usual", ""},
	"services.*.sysctls":                {Changes, "kernel parameters are not set", ""},
	"services.*.storage_opt":            {Changes, "storage options are not set", ""},
	"services.*.credential_spec":        {Changes, "it applies to Windows containers only", ""},
	"services.*.scale":                  {Changes, "one sandbox is created", "use modalc apply --replicas N"},
	"services.*.post_start":             {Changes, "lifecycle hooks do not run", ""},
	"services.*.pre_stop":               {Changes, "lifecycle hooks do not run", ""},
	"services.*.pre_start":              {Changes, "lifecycle hooks do not run", ""},
	"services.*.provider":               {Changes, "providers do not run", ""},
	"services.*.models":                 {Changes, "compose models are not provided", ""},
	"services.*.use_api_socket":         {Changes, "there is no Docker API socket in the sandbox", ""},
	"services.*.stop_signal":            {Changes, "a sandbox is terminated, not signalled", ""},
	"services.*.develop":                {Cosmetic, "compose watch does not apply", ""},
	"services.*.container_name":         {Cosmetic, "the sandbox is named by modalc", ""},
	"services.*.labels":                 {Cosmetic, "labels are not applied", ""},
	"services.*.label_file":             {Cosmetic, "labels are not applied", ""},
	"services.*.annotations":            {Cosmetic, "annotations are not applied", ""},
	"services.*.logging":                {Cosmetic, "output goes to Modal's logs", ""},
	"services.*.restart":                {Cosmetic, "a sandbox is not restarted", ""},
	"services.*.pull_policy":            {Cosmetic, "Modal decides when to pull", ""},
	"services.*.pull_refresh_after":     {Cosmetic, "Modal decides when to pull", ""},
	"services.*.stop_grace_period":      {Cosmetic, "a sandbox is terminated without a grace period", ""},
	"services.*.stdin_open":             {Cosmetic, "stdin is available through exec", ""},
	"services.*.tty":                    {Cosmetic, "use x-modal.pty for a terminal", ""},
	"services.*.attach":                 {Cosmetic, "output goes to Modal's logs", ""},
	"services.*.profiles":               {Cosmetic, "profiles are not used: the one service is the sandbox", ""},
	"services.*.deploy.mode":            {Cosmetic, "one sandbox is created", ""},
	"services.*.deploy.placement":       {Changes, "Modal places sandboxes", "use x-modal.cloud and x-modal.region"},
	"services.*.deploy.resources.reservations.generic_resources": {Changes, "generic resources are not requested", ""},
	// deploy.resources.reservations.devices is lowered whole (Lowered):
	// its driver and options, which change nothing on Modal, are dropped
	// without a word, so no class is given to them here.
}

// classify finds the class of a reported attribute path (a concrete path,
// e.g. "services.web.user"): the longest pattern that matches it or one of
// its ancestors. A path nothing matches (the spec gained an attribute) is a
// warning.
func classify(path string) (attrClass, string) {
	segs := strings.Split(path, ".")
	best, bestLen := attrClass{}, -1
	pattern := ""
	for p, c := range attrClasses {
		ps := strings.Split(p, ".")
		if len(ps) > len(segs) || len(ps) <= bestLen {
			continue
		}
		if matchSegs(ps, segs[:len(ps)]) {
			best, bestLen, pattern = c, len(ps), p
		}
	}
	if bestLen < 0 {
		return attrClass{Changes, "modalc does not translate it", ""}, ""
	}
	return best, pattern
}

func matchSegs(pattern, segs []string) bool {
	for i, p := range pattern {
		if p != "*" && p != "[]" && p != segs[i] {
			return false
		}
	}
	return true
}

// supportedPaths expands Lowered to the tree paths compose-go's fail-closed
// check wants: each lowered attribute and every path of the specification
// below it. It reads them from supported_paths.go, which
// TestSupportedPathsGenerated keeps equal to what schema.AttributePaths()
// gives (go test ./validate -update rewrites it): computing them at run
// time costs 1.3 ms of JSON decoding in every process.
func supportedPaths() []tree.Path {
	out := make([]tree.Path, len(supportedPathList))
	for i, p := range supportedPathList {
		out[i] = tree.Path(p)
	}
	return out
}

// expandLowered computes what supported_paths.go holds.
func expandLowered() []string {
	var out []string
	for _, p := range schema.AttributePaths() {
		if isLowered(string(p)) {
			out = append(out, string(p))
		}
	}
	return out
}

func isLowered(p string) bool {
	for _, l := range Lowered {
		if p == l || strings.HasPrefix(p, l+".") {
			return true
		}
	}
	return false
}

func init() { parse.SetSupported(supportedPaths) }

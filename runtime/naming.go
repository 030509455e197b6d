package runtime

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
)

// MaxNameLen is the longest sandbox name Modal accepts.
const MaxNameLen = 64

// slugPartMax is where the reference (inspect_sandboxes) cuts each part.
const slugPartMax = 40

var nonSlug = regexp.MustCompile(`[^a-z0-9_-]+`)

// slug lower-cases s, turns each run of characters outside [a-z0-9_-] into
// "-", and strips "-" and "_" at both ends, cutting at max runes (then
// stripping again), as the reference does.
func slug(s string, max int) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-_")
	if len(s) > max {
		s = strings.Trim(s[:max], "-_")
	}
	return s
}

// SandboxName is the name of a sandbox for an Inspect task and sample:
// inspect-{task}-{sample}-{hex}, empty parts dropped (inspect-{task}-{hex},
// inspect-{sample}-{hex}, inspect-{hex}). It is the reference's name
// whenever that fits in 64 characters; otherwise the longer part is
// shortened first until it fits (the reference would send up to 98
// characters, which Modal refuses). hex is 8 lower-case hex digits.
func SandboxName(task, sample, hex string) string {
	parts := []string{slug(task, slugPartMax), slug(sample, slugPartMax)}
	name := join(parts, hex)
	for len(name) > MaxNameLen {
		// Shorten the longer part by one character at a time, so the two
		// share what room there is, and re-strip its end.
		i := 0
		if len(parts[1]) > len(parts[0]) {
			i = 1
		}
		if parts[i] == "" {
			break
		}
		parts[i] = strings.TrimRight(parts[i][:len(parts[i])-1], "-_")
		name = join(parts, hex)
	}
	return name
}

func join(parts []string, hex string) string {
	out := []string{"inspect"}
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(append(out, hex), "-")
}

// RandomHex returns n random bytes as 2n lower-case hex digits.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Ownership tag names. created_by: inspect-ai is what Inspect's own cleanup
// looks for; the modalc_* tags let a later cleanup tell whose is whose.
const (
	TagCreatedBy = "created_by"
	TagRun       = "modalc_run"
	TagUser      = "modalc_user"
	TagHost      = "modalc_host"
)

var nonTag = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// TagValue makes s a valid Modal tag value: at most 63 of [A-Za-z0-9._-].
func TagValue(s string) string {
	s = strings.Trim(nonTag.ReplaceAllString(s, "-"), "-")
	if len(s) > 63 {
		s = s[:63]
	}
	if s == "" {
		s = "unknown"
	}
	return s
}

// OwnershipTags returns the tags set in every create request of one run.
func OwnershipTags(run, user, host string) map[string]string {
	return map[string]string{
		TagCreatedBy: "inspect-ai",
		TagRun:       TagValue(run),
		TagUser:      TagValue(user),
		TagHost:      TagValue(host),
	}
}

// ReferenceNameLen is the length of the name inspect_sandboxes 0.3.0 gives
// a sandbox of this task and sample: each part cut at 40 characters, no
// overall limit. Over MaxNameLen, Modal refuses it there.
func ReferenceNameLen(task, sample string) int {
	return len(join([]string{slug(task, slugPartMax), slug(sample, slugPartMax)}, "01234567"))
}

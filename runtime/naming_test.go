package runtime

import (
	"strings"
	"testing"

	"github.com/modalc/modalc/internal/golden"
)

var _ = golden.Update

func TestSandboxName(t *testing.T) {
	long := strings.Repeat("abcdefghij", 5) // 50: cut to 40 by the reference
	tests := []struct {
		task, sample, want string
	}{
		{"My Task", "42", "inspect-my-task-42-0123abcd"},
		{"", "42", "inspect-42-0123abcd"},
		{"task", "", "inspect-task-0123abcd"},
		{"", "", "inspect-0123abcd"},
		{"__A/B C__", "--x--", "inspect-a-b-c-x-0123abcd"},
		{"!!!", "???", "inspect-0123abcd"},
		{"gpqa_diamond", "sample_1", "inspect-gpqa_diamond-sample_1-0123abcd"},
		// Fits in 64 after the reference's cut at 40: identical to it.
		{long, "", "inspect-" + long[:40] + "-0123abcd"},
	}
	for _, tt := range tests {
		got := SandboxName(tt.task, tt.sample, "0123abcd")
		if got != tt.want {
			t.Errorf("SandboxName(%q, %q) = %q, want %q", tt.task, tt.sample, got, tt.want)
		}
	}
}

func TestSandboxNameFits(t *testing.T) {
	long := strings.Repeat("abcdefghij", 5)
	for _, c := range []struct{ task, sample string }{
		{long, long}, {long, "short"}, {"short", long}, {long + "-_-", "x" + long},
	} {
		got := SandboxName(c.task, c.sample, "0123abcd")
		if len(got) > MaxNameLen {
			t.Errorf("SandboxName(%q, %q) = %q: %d characters", c.task, c.sample, got, len(got))
		}
		if !strings.HasPrefix(got, "inspect-") || !strings.HasSuffix(got, "-0123abcd") {
			t.Errorf("SandboxName = %q: want inspect-…-0123abcd", got)
		}
		if strings.Contains(got, "--") || strings.Contains(got, "_-") || strings.Contains(got, "-_") {
			t.Errorf("SandboxName = %q: a part ends in - or _", got)
		}
	}
}

func TestTagValue(t *testing.T) {
	for in, want := range map[string]string{
		"alice":                 "alice",
		"Alice Smith@host":      "Alice-Smith-host",
		"":                      "unknown",
		strings.Repeat("x", 70): strings.Repeat("x", 63),
	} {
		if got := TagValue(in); got != want {
			t.Errorf("TagValue(%q) = %q, want %q", in, got, want)
		}
	}
	tags := OwnershipTags("run 1", "bob", "box.local")
	if tags["created_by"] != "inspect-ai" || tags[TagRun] != "run-1" || tags[TagHost] != "box.local" {
		t.Errorf("OwnershipTags = %v", tags)
	}
}

func TestSandboxNameShares(t *testing.T) {
	long := strings.Repeat("abcdefghij", 5)
	got := SandboxName(long, long, "0123abcd")
	want := "inspect-" + long[:23] + "-" + long[:23] + "-0123abcd"
	if got != want {
		t.Errorf("SandboxName(long, long) = %q, want %q", got, want)
	}
}

func TestReferenceNameLen(t *testing.T) {
	long := strings.Repeat("abcdefghij", 5)
	if got := ReferenceNameLen(long, long); got != 98 {
		t.Errorf("ReferenceNameLen(long, long) = %d, want 98 (the reference cuts each part at 40)", got)
	}
	if got := ReferenceNameLen("gpqa", "7"); got != len("inspect-gpqa-7-01234567") {
		t.Errorf("ReferenceNameLen = %d", got)
	}
}

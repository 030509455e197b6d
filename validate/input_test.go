package validate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modalc/modalc/parse"
)

// TestFileTooLarge makes a compose file over parse.MaxFileSize (a golden
// case would put megabytes in the repository) and checks it is refused with
// MC005, naming the file, without being parsed.
func TestFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	big := "services:\n  app:\n    image: python:3.12\n" + strings.Repeat("# padding padding padding padding\n", parse.MaxFileSize/34+1)
	if err := os.WriteFile(file, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := parse.Load(context.Background(), file)
	ds, ok := FromError(err)
	if !ok || len(ds) != 1 {
		t.Fatalf("Load = %v; want one input diagnostic", err)
	}
	d := ds[0]
	if d.Code != "MC005" || d.Severity != SevError || d.Span.File != filepath.ToSlash(file) || !strings.Contains(d.Message, "at most 8.0 MiB") {
		t.Errorf("got %v; want error[MC005] at %s saying the limit", d, file)
	}
}

// TestEnvFileDevice: an env_file that is a device is refused at once, not
// read forever.
func TestEnvFileDevice(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  a:\n    image: x\n    env_file: /dev/zero\n"), 0o644)
	_, err := parse.Load(context.Background(), dir)
	ds, ok := FromError(err)
	if !ok || len(ds) != 1 || ds[0].Code != "MC008" || ds[0].Span.Start.Line != 4 {
		t.Fatalf("Load = %v; want MC008 at line 4", err)
	}
}

// TestSeveritiesCheck: warnings and infos may be dropped or promoted;
// an error may be neither dropped nor lowered, and an unknown code is refused.
func TestSeveritiesCheck(t *testing.T) {
	for _, tc := range []struct {
		override map[Code]Severity
		wantErr  string
	}{
		{map[Code]Severity{"MC302": 0, "MC303": 0, "MC501": SevError}, ""},
		{map[Code]Severity{"MC201": SevError}, ""},
		{map[Code]Severity{"MC201": 0}, "MC201 (not exactly one service) is an error and cannot be ignored"},
		{map[Code]Severity{"MC110": SevWarning}, "MC110 (port in two lists) is an error"},
		{map[Code]Severity{"MC999": 0}, `unknown diagnostic code "MC999"`},
	} {
		err := Severities{Override: tc.override}.Check()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("Check(%v) = %v, want %q", tc.override, err, tc.wantErr)
		}
	}
}

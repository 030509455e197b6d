//go:build !unix

package modaltest

import (
	"os"
	"os/exec"
)

func setProcessGroup(*exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

func exitCodes(ps *os.ProcessState) (code, signal int32) {
	if ps == nil {
		return -1, 0
	}
	return int32(ps.ExitCode()), 0
}

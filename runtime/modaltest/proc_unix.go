//go:build unix

package modaltest

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup puts the command in its own process group, so that killing
// it also kills the children a shell started.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup sends SIGKILL to the command's process group.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}

// exitCodes returns the exit code, or the signal that ended the process.
func exitCodes(ps *os.ProcessState) (code, signal int32) {
	if ps == nil {
		return -1, 0
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 0, int32(ws.Signal())
	}
	return int32(ps.ExitCode()), 0
}

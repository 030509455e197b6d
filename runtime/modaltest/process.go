package modaltest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// pipe is an append-only byte buffer that readers follow by offset. It stands
// for a process's stdout, stderr or stdin; what was written stays readable
// after the process exits.
type pipe struct {
	mu      sync.Mutex
	buf     []byte
	closed  bool
	changed chan struct{}
}

func newPipe() *pipe { return &pipe{changed: make(chan struct{})} }

var errPipeClosed = errors.New("pipe closed")

func (p *pipe) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Write appends b. It fails once the pipe is closed.
func (p *pipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, errPipeClosed
	}
	if len(b) > 0 {
		p.buf = append(p.buf, b...)
		p.notifyLocked()
	}
	return len(b), nil
}

// writeAt writes data that the writer placed at offset off, skipping what the
// pipe already holds (a resent chunk). A gap is an error.
func (p *pipe) writeAt(off uint64, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := uint64(len(p.buf))
	if off > n {
		return fmt.Errorf("write at offset %d leaves a gap after %d bytes", off, n)
	}
	if skip := n - off; skip < uint64(len(data)) {
		if p.closed {
			return errPipeClosed
		}
		p.buf = append(p.buf, data[skip:]...)
		p.notifyLocked()
	}
	return nil
}

// Close marks the end of the data. Closing twice is harmless.
func (p *pipe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.notifyLocked()
	}
	return nil
}

// since returns a copy of at most limit bytes from off, whether the pipe is
// closed, and a channel that is closed on the next change.
func (p *pipe) since(off uint64, limit int) ([]byte, bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var data []byte
	if off < uint64(len(p.buf)) {
		end := min(uint64(len(p.buf)), off+uint64(limit))
		data = append([]byte(nil), p.buf[off:end]...)
	}
	return data, p.closed, p.changed
}

// status returns the number of bytes written and whether the pipe is closed.
func (p *pipe) status() (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return uint64(len(p.buf)), p.closed
}

// pipeReader reads a pipe from the start, blocking for more data until the
// pipe closes (io.EOF) or abort is closed.
type pipeReader struct {
	p     *pipe
	off   uint64
	abort <-chan struct{}
}

func (r *pipeReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		data, closed, changed := r.p.since(r.off, len(b))
		if len(data) > 0 {
			n := copy(b, data)
			r.off += uint64(n)
			return n, nil
		}
		if closed {
			return 0, io.EOF
		}
		select {
		case <-changed:
		case <-r.abort:
			return 0, io.ErrClosedPipe
		}
	}
}

// process is an exec'd command (or a sandbox's entrypoint): its stdio and,
// once done is closed, its exit status.
type process struct {
	id   string
	args []string

	stdout, stderr, stdin *pipe
	done                  chan struct{}

	mu       sync.Mutex
	finished bool
	code     int32 // exit code, if signal is 0
	signal   int32 // signal that ended it, or 0
	kill     func()
	killed   bool
}

func newProcess(id string, args []string) *process {
	return &process{
		id:     id,
		args:   args,
		stdout: newPipe(),
		stderr: newPipe(),
		stdin:  newPipe(),
		done:   make(chan struct{}),
	}
}

// finish records the exit status, closes the output pipes and wakes waiters.
// Only the first call counts.
func (p *process) finish(code, signal int32) {
	p.mu.Lock()
	if p.finished {
		p.mu.Unlock()
		return
	}
	p.finished, p.code, p.signal = true, code, signal
	p.mu.Unlock()
	p.stdout.Close()
	p.stderr.Close()
	close(p.done)
}

// exitStatus returns whether the process has finished, and how.
func (p *process) exitStatus() (finished bool, code, signal int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.finished, p.code, p.signal
}

// Kill ends the process with SIGKILL (the status of a process that has no OS
// process is signal 9).
func (p *process) Kill() {
	p.mu.Lock()
	kill, finished := p.kill, p.finished
	p.killed = true
	p.mu.Unlock()
	if finished {
		return
	}
	if kill != nil {
		kill()
		return
	}
	p.finish(0, 9)
}

// execSpec says how to run a process.
type execSpec struct {
	args          []string
	dir           string // host working directory
	env           []string
	mergeStderr   bool // stderr goes to stdout (PTY, or STDERR_CONFIG_STDOUT)
	discardStdout bool
	discardStderr bool
	timeout       time.Duration
	root          string // the sandbox's directory, for the fs-tools emulation
}

// waitDelay bounds how long a finished command's output is waited for when a
// background child keeps its stdout or stderr open.
const waitDelay = 250 * time.Millisecond

// startProcess starts spec as a local process (or, for Modal's fs-tools
// helper, as an emulation in a goroutine). A command that cannot be started
// finishes at once with exit code 127 (or 126) and the error on stderr.
func startProcess(id string, spec execSpec) *process {
	p := newProcess(id, spec.args)
	if spec.discardStdout {
		p.stdout.Close()
	}
	if spec.discardStderr || spec.mergeStderr {
		p.stderr.Close()
	}
	stdout := io.Writer(p.stdout)
	if spec.discardStdout {
		stdout = io.Discard
	}
	stderr := io.Writer(p.stderr)
	switch {
	case spec.mergeStderr:
		stderr = stdout
	case spec.discardStderr:
		stderr = io.Discard
	}

	if len(spec.args) > 0 && spec.args[0] == fsToolsPath {
		go func() {
			in := &pipeReader{p: p.stdin, abort: p.done}
			code := runFSTools(spec.root, spec.args[1:], in, stdout, stderr)
			p.finish(int32(code), 0)
		}()
		if spec.timeout > 0 {
			time.AfterFunc(spec.timeout, p.Kill)
		}
		return p
	}
	if len(spec.args) == 0 {
		fmt.Fprintln(stderr, "modaltest: empty command")
		p.finish(127, 0)
		return p
	}

	cmd := exec.Command(spec.args[0], spec.args[1:]...)
	cmd.Dir = spec.dir
	cmd.Env = spec.env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.WaitDelay = waitDelay
	setProcessGroup(cmd)
	stdinW, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(stderr, "modaltest: %v\n", err)
		code := int32(127)
		if errors.Is(err, os.ErrPermission) {
			code = 126
		}
		p.finish(code, 0)
		return p
	}
	p.mu.Lock()
	p.kill = func() { killProcessGroup(cmd) }
	killed := p.killed
	p.mu.Unlock()
	if killed {
		killProcessGroup(cmd)
	}
	go func() {
		// Feed stdin as it arrives; stop when the process is gone.
		io.Copy(stdinW, &pipeReader{p: p.stdin, abort: p.done})
		stdinW.Close()
	}()
	go func() {
		cmd.Wait()
		code, signal := exitCodes(cmd.ProcessState)
		p.finish(code, signal)
	}()
	if spec.timeout > 0 {
		time.AfterFunc(spec.timeout, p.Kill)
	}
	return p
}

package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modalc/modalc/internal/golden"
	"github.com/modalc/modalc/runtime/modaltest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScriptApply runs testdata/apply/*.txtar: modalc apply as a separate
// process (the test binary re-executed as modalc) against a Modal control
// plane on loopback, started for each script and reached through
// MODAL_SERVER_URL, as a user's shell would reach Modal.
func TestScriptApply(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/apply",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       golden.Update(),
		Setup: func(env *testscript.Env) error {
			srv, err := modaltest.NewServer()
			if err != nil {
				return err
			}
			env.Defer(srv.Close)
			for _, kv := range srv.Env(env.WorkDir) {
				k, v, _ := strings.Cut(kv, "=")
				env.Setenv(k, v)
			}
			env.Values[serverKey{}] = srv
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"jsonvalid":    jsonValid,
			"modalstate":   modalState,
			"modalfail":    modalFail,
			"modallatency": modalLatency,
			"modalsecret":  modalSecret,
			"modalwait":    modalWait,
		},
	})
}

type serverKey struct{}

func server(ts *testscript.TestScript) *modaltest.Server {
	return ts.Value(serverKey{}).(*modaltest.Server)
}

// modalState checks the fake's state: "modalstate running N",
// "modalstate sandboxes N", "modalstate calls RPC N".
func modalState(ts *testscript.TestScript, neg bool, args []string) {
	st := server(ts).State()
	var got int
	var what string
	switch {
	case len(args) == 2 && args[0] == "running":
		got, what = st.Running, "running sandboxes"
	case len(args) == 2 && args[0] == "sandboxes":
		got, what = len(st.Sandboxes), "sandboxes created"
	case len(args) == 3 && args[0] == "calls":
		got, what = st.Calls[args[1]], args[1]+" calls"
		args = args[1:]
	default:
		ts.Fatalf("usage: modalstate running|sandboxes N | modalstate calls RPC N")
	}
	want, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("modalstate: %v", err)
	}
	if (got == want) == neg {
		ts.Fatalf("%s = %d, want %s%d", what, got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// modalFail injects a fault: "modalfail RPC:N[xT][:permanent|:after-commit]".
func modalFail(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: modalfail RPC:N[:kind]")
	}
	rpc, f, err := modaltest.ParseFault(args[0])
	if err != nil {
		ts.Fatalf("modalfail: %v", err)
	}
	server(ts).Fail(rpc, f)
}

// modalLatency sets the latency of every RPC: "modallatency 100ms".
func modalLatency(ts *testscript.TestScript, neg bool, args []string) {
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("modallatency: %v", err)
	}
	server(ts).SetLatency(d)
}

// modalSecret registers a named secret: "modalsecret NAME KEY=VALUE...".
func modalSecret(ts *testscript.TestScript, neg bool, args []string) {
	env := map[string]string{}
	for _, kv := range args[1:] {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	server(ts).AddSecret(args[0], env)
}

// modalWait waits (up to 30 s) until the fake has created at least N
// sandboxes: "modalwait 3". Scripts use it to interrupt a run mid-create.
func modalWait(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("modalwait: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if len(server(ts).State().Sandboxes) >= n {
			return
		}
	}
	ts.Fatalf("modalwait: fewer than %d sandboxes after 30s", n)
}

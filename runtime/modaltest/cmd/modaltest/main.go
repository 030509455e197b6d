// Command modaltest runs a Modal control plane on loopback (package
// runtime/modaltest) until it is interrupted, for tests that drive modalc, or
// anything else built on Modal's Go SDK, as a separate process.
//
// Usage:
//
//	modaltest [--addr 127.0.0.1:0] [--state-addr 127.0.0.1:0] [--latency 50ms]
//	          [--fail RPC:N[xT][:transient|:permanent|:after-commit[=CODE]]]...
//	          [--secret NAME[:KEY=VALUE[,KEY=VALUE]...]]...
//	          [--page-size N] [--build-step-delay D] [--entrypoints]
//
// It prints two lines on stdout and then serves until SIGINT or SIGTERM:
//
//	MODAL_SERVER_URL=http://127.0.0.1:PORT
//	http://127.0.0.1:PORT2/state
//
// The first is the variable that points the SDK at the server (set dummy
// MODAL_TOKEN_ID and MODAL_TOKEN_SECRET too). The second is an HTTP endpoint
// on another port: GET /state returns the server's state as JSON (running
// sandbox count, sandboxes, calls per RPC, apps, images built, mounts, bytes
// uploaded). The same server takes POST /fail?spec=RPC:N... to install a
// fault, POST /latency?d=50ms to set the latency, and POST /clear-faults.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/modalc/modalc/runtime/modaltest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// fault is a parsed --fail flag.
type fault struct {
	rpc string
	f   modaltest.Fault
}

type faultFlags []fault

func (ff *faultFlags) String() string { return "" }

func (ff *faultFlags) Set(spec string) error {
	rpc, f, err := modaltest.ParseFault(spec)
	if err != nil {
		return err
	}
	*ff = append(*ff, fault{rpc, f})
	return nil
}

// secret is a parsed --secret flag.
type secret struct {
	name string
	env  map[string]string
}

type secretFlags []secret

func (sf *secretFlags) String() string { return "" }

func (sf *secretFlags) Set(spec string) error {
	name, pairs, _ := strings.Cut(spec, ":")
	if name == "" {
		return errors.New("want NAME[:KEY=VALUE[,KEY=VALUE]...]")
	}
	env := map[string]string{}
	if pairs != "" {
		for pair := range strings.SplitSeq(pairs, ",") {
			k, v, ok := strings.Cut(pair, "=")
			if !ok || k == "" {
				return fmt.Errorf("bad KEY=VALUE %q", pair)
			}
			env[k] = v
		}
	}
	*sf = append(*sf, secret{name, env})
	return nil
}

// run serves until ctx is done and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modaltest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address of the gRPC server (control plane and command router)")
	stateAddr := fs.String("state-addr", "127.0.0.1:0", "address of the HTTP server for /state")
	latency := fs.Duration("latency", 0, "delay every RPC by this much")
	pageSize := fs.Int("page-size", modaltest.DefaultListPageSize, "sandboxes per SandboxList page")
	stepDelay := fs.Duration("build-step-delay", 0, "time each Dockerfile instruction of an image build takes")
	entrypoints := fs.Bool("entrypoints", false, "run sandbox entrypoints as local processes")
	var faults faultFlags
	fs.Var(&faults, "fail", "inject a fault: `RPC:N[xT][:transient|:permanent|:after-commit[=CODE]]` (repeatable)")
	var secrets secretFlags
	fs.Var(&secrets, "secret", "register a named secret: `NAME[:KEY=VALUE[,KEY=VALUE]...]` (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "modaltest: unexpected arguments %q\n", fs.Args())
		return 2
	}

	opts := []modaltest.Option{
		modaltest.WithAddr(*addr),
		modaltest.WithLatency(*latency),
		modaltest.WithListPageSize(*pageSize),
		modaltest.WithBuildStepDelay(*stepDelay),
	}
	if *entrypoints {
		opts = append(opts, modaltest.WithEntrypoints())
	}
	srv, err := modaltest.NewServer(opts...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer srv.Close()
	for _, f := range faults {
		srv.Fail(f.rpc, f.f)
	}
	for _, s := range secrets {
		srv.AddSecret(s.name, s.env)
	}

	lis, err := net.Listen("tcp", *stateAddr)
	if err != nil {
		fmt.Fprintf(stderr, "modaltest: %v\n", err)
		return 1
	}
	httpSrv := &http.Server{Handler: stateHandler(srv), ReadHeaderTimeout: 10 * time.Second}
	go httpSrv.Serve(lis)
	defer httpSrv.Close()

	fmt.Fprintf(stdout, "MODAL_SERVER_URL=%s\n", srv.URL())
	fmt.Fprintf(stdout, "http://%s/state\n", lis.Addr())

	<-ctx.Done()
	return 0
}

// stateHandler serves GET /state and the POST endpoints that change faults
// and latency.
func stateHandler(srv *modaltest.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(srv.State())
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) {
		rpc, f, err := modaltest.ParseFault(r.FormValue("spec"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		srv.Fail(rpc, f)
	})
	mux.HandleFunc("POST /clear-faults", func(http.ResponseWriter, *http.Request) { srv.ClearFaults() })
	mux.HandleFunc("POST /latency", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.FormValue("d"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		srv.SetLatency(d)
	})
	return mux
}

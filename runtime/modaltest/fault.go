package modaltest

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FaultKind says how an injected fault fails an RPC.
type FaultKind int

const (
	// Transient fails the call with UNAVAILABLE before it has any effect. The
	// SDK retries UNAVAILABLE three times on control-plane unary calls, so it
	// takes four faults in a row for the caller to see one.
	Transient FaultKind = iota
	// Permanent fails the call with FAILED_PRECONDITION before it has any
	// effect. The SDK does not retry it.
	Permanent
	// AfterCommit performs the call, then answers UNAVAILABLE instead of the
	// result, so the effect happens but the client never hears of it (and the
	// SDK's retries repeat the call). The server does not honour
	// x-idempotency-key.
	AfterCommit
)

// String returns the name ParseFault accepts for k.
func (k FaultKind) String() string {
	switch k {
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	case AfterCommit:
		return "after-commit"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes calls of one RPC that fail on purpose.
type Fault struct {
	// N is the first call that fails, counted from when the fault is
	// installed: 1 (or 0) is the next call.
	N int
	// Times is how many consecutive calls fail from the Nth on. 0 means 1; a
	// negative value means every call from the Nth on.
	Times int
	// Kind says whether the call takes effect and which code it fails with.
	Kind FaultKind
	// Code, if not codes.OK, replaces the kind's status code.
	Code codes.Code
}

func (f Fault) code() codes.Code {
	if f.Code != codes.OK {
		return f.Code
	}
	if f.Kind == Permanent {
		return codes.FailedPrecondition
	}
	return codes.Unavailable
}

// String formats f in the syntax ParseFault reads, without the RPC name.
func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", max(f.N, 1))
	switch {
	case f.Times < 0:
		b.WriteString("x*")
	case f.Times > 1:
		fmt.Fprintf(&b, "x%d", f.Times)
	}
	if f.Kind != Transient || f.Code != codes.OK {
		b.WriteString(":" + f.Kind.String())
	}
	if f.Code != codes.OK {
		b.WriteString("=" + codeName(f.Code))
	}
	return b.String()
}

// ParseFault reads a fault written as
//
//	RPC:N[xT][:KIND[=CODE]]
//
// RPC is a method's short name (SandboxCreateV2) or full name
// (/modal.client.ModalClient/SandboxCreateV2). N is the first call that fails
// (1 = the next one). xT makes T consecutive calls fail (x* = all from N on).
// KIND is transient (the default), permanent or after-commit, and CODE
// overrides the status code with a gRPC code name such as PERMISSION_DENIED.
// For example "SandboxCreateV2:1x4" fails the next four creates with
// UNAVAILABLE, and "ImageGetOrCreate:2:permanent" fails the second image
// request with FAILED_PRECONDITION.
func ParseFault(spec string) (rpc string, f Fault, err error) {
	bad := func(format string, args ...any) (string, Fault, error) {
		return "", Fault{}, fmt.Errorf("fault %q: %s (want RPC:N[xT][:transient|:permanent|:after-commit[=CODE]])", spec, fmt.Sprintf(format, args...))
	}
	// A full method name contains '/', never ':', so the last colon-separated
	// fields are N and KIND.
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return bad("wrong number of fields")
	}
	rpc = strings.TrimSpace(parts[0])
	if rpc == "" || strings.HasSuffix(rpc, "/") {
		return bad("missing RPC name")
	}
	count := parts[1]
	if n, times, ok := strings.Cut(count, "x"); ok {
		count = n
		if times == "*" {
			f.Times = -1
		} else if f.Times, err = strconv.Atoi(times); err != nil || f.Times < 1 {
			return bad("bad repeat count %q", times)
		}
	}
	if f.N, err = strconv.Atoi(count); err != nil || f.N < 1 {
		return bad("bad call number %q", count)
	}
	if len(parts) == 3 {
		kind, code, hasCode := strings.Cut(parts[2], "=")
		switch kind {
		case "transient":
			f.Kind = Transient
		case "permanent":
			f.Kind = Permanent
		case "after-commit":
			f.Kind = AfterCommit
		default:
			return bad("unknown kind %q", kind)
		}
		if hasCode {
			c, ok := parseCode(code)
			if !ok || c == codes.OK {
				return bad("unknown status code %q", code)
			}
			f.Code = c
		}
	}
	return rpc, f, nil
}

// codeNames are the proto names of the gRPC status codes, indexed by code.
var codeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// codeName returns the upper-case proto name of c, as ParseFault reads it.
func codeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return c.String()
}

// parseCode reads a status code by its proto name (case-insensitive; CANCELED
// is accepted too).
func parseCode(name string) (codes.Code, bool) {
	name = strings.ToUpper(name)
	if name == "CANCELED" {
		return codes.Canceled, true
	}
	for i, n := range codeNames {
		if n == name {
			return codes.Code(i), true
		}
	}
	return 0, false
}

// faultRule is a Fault installed for one RPC, with the number of matching
// calls it has seen since.
type faultRule struct {
	rpc   string
	fault Fault
	seen  int
}

// matches reports whether the rule applies to the full method name.
func (r *faultRule) matches(fullMethod string) bool {
	return r.rpc == fullMethod || r.rpc == shortName(fullMethod)
}

// hit counts a call and reports whether this call fails.
func (r *faultRule) hit() bool {
	r.seen++
	first := max(r.fault.N, 1)
	if r.seen < first {
		return false
	}
	times := r.fault.Times
	if times == 0 {
		times = 1
	}
	return times < 0 || r.seen < first+times
}

func (r *faultRule) err(fullMethod string) error {
	return status.Errorf(r.fault.code(), "modaltest: injected %s fault on call %d of %s", r.fault.Kind, r.seen, shortName(fullMethod))
}

// shortName returns the method name after the last '/' of a full gRPC method
// name.
func shortName(fullMethod string) string {
	return fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]
}

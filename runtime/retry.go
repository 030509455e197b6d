package runtime

import (
	"context"
	"errors"
	"time"

	modal "github.com/modal-labs/modal-client/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Backoff is the reference's outer retry policy: 5 attempts, waiting 1, 2,
// 4 and 8 s between them. It sits on top of the SDK's own retries (3 for
// UNAVAILABLE, INTERNAL, UNKNOWN, DEADLINE_EXCEEDED, CANCELED, and server
// throttling). Tests shorten it.
var Backoff = []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

// Transient reports whether err is worth another attempt: a gRPC status
// the SDK gives up on after its own retries (UNAVAILABLE, INTERNAL,
// UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED without a retry policy).
// Never an invalid argument, a name collision, a missing secret, a
// precondition, a permission, or a failed build.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var (
		nf  modal.NotFoundError
		ae  modal.AlreadyExistsError
		inv modal.InvalidError
		be  *BuildError
	)
	if errors.As(err, &nf) || errors.As(err, &ae) || errors.As(err, &inv) || errors.As(err, &be) || errors.Is(err, ErrNoCredentials) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.Unavailable, codes.Internal, codes.Unknown, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}

// Retry calls fn until it succeeds, fails with an error that is not
// Transient, or has been tried len(Backoff)+1 times. It stops waiting when
// ctx is done. attempt counts from 1.
func Retry(ctx context.Context, fn func(attempt int) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(attempt); err == nil || !Transient(err) || attempt > len(Backoff) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(Backoff[attempt-1]):
		}
	}
}

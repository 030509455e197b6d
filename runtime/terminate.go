package runtime

import (
	"context"
	"fmt"
	"sync"

	modal "github.com/modal-labs/modal-client/go"
)

// A Stop is the outcome of terminating one sandbox.
type Stop struct {
	ID  string
	Err error // nil: terminated and verified stopped
}

// TerminateAll terminates each sandbox (at most 16 at a time), waits for it
// to stop, and verifies that it reports an exit code. Each step is retried
// on transient failures. The result is in the order of ids.
func (c *Client) TerminateAll(ctx context.Context, ids []string) []Stop {
	out := make([]Stop, len(ids))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = Stop{ID: id, Err: c.terminate(ctx, id)}
		}()
	}
	wg.Wait()
	return out
}

func (c *Client) terminate(ctx context.Context, id string) error {
	sb, err := c.SDK.Sandboxes.FromID(ctx, id, nil)
	if err != nil {
		return err
	}
	if err := Retry(ctx, func(int) error {
		_, err := sb.Terminate(ctx, &modal.SandboxTerminateParams{Wait: true})
		return err
	}); err != nil {
		return fmt.Errorf("terminate %s: %w", id, err)
	}
	var code *int
	if err := Retry(ctx, func(int) error {
		code, err = sb.Poll(ctx, nil)
		return err
	}); err != nil {
		return fmt.Errorf("verify %s stopped: %w", id, err)
	}
	if code == nil {
		return fmt.Errorf("%s still running after terminate", id)
	}
	return nil
}

// Running returns the IDs of the app's sandboxes that are still running and
// carry every one of tags: used after a failed or interrupted run to find
// creates whose answer was lost, by the run's own tag.
func (c *Client) Running(ctx context.Context, appID string, tags map[string]string) ([]string, error) {
	var ids []string
	err := Retry(ctx, func(int) error {
		ids = ids[:0]
		seq, err := c.SDK.Sandboxes.List(ctx, &modal.SandboxListParams{AppID: appID, Tags: tags})
		if err != nil {
			return err
		}
		for sb, err := range seq {
			if err != nil {
				return err
			}
			ids = append(ids, sb.SandboxID)
		}
		return nil
	})
	return ids, err
}

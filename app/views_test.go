package app

import (
	"testing"
	"time"

	"hush/chat"
)

// TestConnectionViewRetry checks the retry countdown the UI shows as it comes:
// the time left until the next attempt, 0 once it is due, never negative.
func TestConnectionViewRetry(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	clock := func() int64 { return now.UnixMilli() }
	for _, c := range []struct {
		retryAt time.Time
		want    int64
	}{
		{time.Time{}, 0},
		{now.Add(12 * time.Second), 12_000},
		{now, 0},
		{now.Add(-5 * time.Second), 0},
	} {
		v := connectionView(chat.Connection{State: chat.LinkOffline, RetryAt: c.retryAt}, clock)
		if v.RetryInMs != c.want || v.State != ConnectionOffline {
			t.Errorf("retry at %v: %+v, want retryInMs %d", c.retryAt, v, c.want)
		}
	}
}

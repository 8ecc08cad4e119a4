package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"hush/chat"
	"hush/internal/testutil"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// TestChatLimitWording: the relay's hourly limit on new chats reaches the person as
// a sentence with the wait, through the real engine.
func TestChatLimitWording(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{NewChatsPerHour: 1}})
	alice := newPerson(t, "ws://"+r.Addr, "Alice")
	alice.online(t)
	if _, err := alice.chats.CreateGroup("first", nil); err != nil {
		t.Fatal(err)
	}
	_, err := alice.chats.CreateGroup("second", nil)
	if want := "You created many chats in the last hour. Try again in 1 hour."; err == nil || err.Error() != want || !errors.Is(err, chat.ErrTooManyChats) {
		t.Errorf("second chat: %v, want %q", err, want)
	}
}

// TestAccountLimitWording: a new account refused by the relay's hourly limit on new
// accounts per network shows why in the connection status.
func TestAccountLimitWording(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{NewAccountsPerHour: 1}})
	newPerson(t, "ws://"+r.Addr, "Alice").online(t)
	bob := newPerson(t, "ws://"+r.Addr, "Bob")
	want := "This relay lets only a few new accounts in from one network per hour, and yours has had them. Hush tries again in 1 hour."
	testutil.Eventually(t, 20*time.Second, "the refusal", func() bool {
		c, err := bob.conn.Status()
		return err == nil && c.State == ConnectionOffline && c.Error == want
	})
	if c, _ := bob.conn.Status(); c.RetryInMs < (59 * time.Minute).Milliseconds() {
		t.Errorf("retry in %d ms; the relay asked for about an hour", c.RetryInMs)
	}
}

func TestLimitWording(t *testing.T) {
	wait := &wire.Error{Code: wire.CodeStrangerLimit, RetryAfter: 11*time.Minute + time.Second}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w", chat.ErrTooManyToStrangers, wait), "You wrote to many people you share no chat with in the last hour. Try again in 12 minutes."},
		{fmt.Errorf("%w: %w", chat.ErrTooManyChats, &wire.Error{Code: wire.CodeChatLimit, RetryAfter: 30 * time.Second}), "You created many chats in the last hour. Try again in 30 seconds."},
		{fmt.Errorf("%w: %w", chat.ErrTooManyAccounts, &wire.Error{Code: wire.CodeAccountLimit, RetryAfter: time.Minute}), "This relay lets only a few new accounts in from one network per hour. Try again in 1 minute."},
	} {
		if got := messagingError(tt.err); got.Error() != tt.want {
			t.Errorf("messagingError(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	if got := linkErrorText(fmt.Errorf("%w: %w", chat.ErrUnreachable, chat.ErrUntrustedCertificate)); !strings.HasPrefix(got, "The relay's certificate is not trusted") {
		t.Errorf("untrusted certificate: %q", got)
	}
}

func TestWaitText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1500 * time.Millisecond:        "2 seconds",
		time.Minute:                    "1 minute",
		time.Minute + time.Millisecond: "2 minutes",
		59 * time.Minute:               "59 minutes",
		time.Hour + 40*time.Second:     "1 hour",
		150 * time.Minute:              "3 hours",
	} {
		if got := waitText(d); got != want {
			t.Errorf("waitText(%v) = %q, want %q", d, got, want)
		}
	}
}

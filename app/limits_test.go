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

// TestRelayUsage: Settings reads what the relay counts against the account, the
// relay's quota among it; offline it gets the offline sentence. A send the quota
// refuses is worded as the relay's storage being full, and says nothing is lost.
func TestRelayUsage(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{QuotaBytes: 5 << 20}})
	alice := newPerson(t, "ws://"+r.Addr, "Alice")
	alice.online(t)
	notes, err := alice.chats.CreateGroup("notes", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.chats.Send(notes.ID, "a note to self", ""); err != nil {
		t.Fatal(err)
	}
	var u RelayUsage
	testutil.Eventually(t, 20*time.Second, "the note counted", func() bool {
		u, err = alice.conn.Usage()
		return err == nil && u.UsedBytes > 0
	})
	if u.QuotaBytes != 5<<20 || u.UsedBytes >= u.QuotaBytes || u.Devices != 1 || u.MaxDevices != wire.MaxDevicesPerAccount {
		t.Errorf("usage = %+v", u)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice offline", func() bool {
		c, err := alice.conn.Status()
		return err == nil && c.State == ConnectionOffline
	})
	if _, err := alice.conn.Usage(); err == nil || !strings.HasPrefix(err.Error(), "You are offline") {
		t.Errorf("usage offline: %v", err)
	}

	full := fmt.Errorf("%w: %w", chat.ErrQuotaExceeded, wire.Errorf(wire.CodeQuotaExceeded, "the account's storage quota is used up"))
	if got := messagingError(full).Error(); got != "The relay's storage for your account is full." {
		t.Errorf("quota error worded %q", got)
	}
	if got := warningText(chat.Warning{Kind: chat.WarnQuotaExceeded}); !strings.HasPrefix(got, "The relay's storage for your account is full.") || !strings.Contains(got, "pending") {
		t.Errorf("quota warning worded %q", got)
	}
}

package chat

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"hush/devicelink"
	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
)

// joinResult is what a Joiner's Run ended with.
type joinResult struct {
	joined Joined
	err    error
}

// startJoin opens a link session at p's relay and runs the new device's side in the
// background; the SAS it shows arrives on the first channel.
func startJoin(t testing.TB, url string) (*Joiner, <-chan devicelink.SAS, <-chan joinResult) {
	t.Helper()
	j, err := NewJoiner(context.Background(), url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Close)
	sas := make(chan devicelink.SAS, 1)
	done := make(chan joinResult, 1)
	go func() {
		joined, err := j.Run(context.Background(), func(s devicelink.SAS) { sas <- s })
		done <- joinResult{joined, err}
	}()
	return j, sas, done
}

// Linking a device: both show the same string; once confirmed, the new device holds
// the account's keys and is in its device list, and gets the whole history.
func TestLinkDevice(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	for i := range 5 {
		sendAcked(t, alice, chatID, "before the link "+string(rune('a'+i)))
	}
	sendAcked(t, bob, chatID, "from bob")
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})

	j, sasCh, done := startJoin(t, alice.url)
	check, err := alice.engine.BeginLink(ctx, j.Code().String())
	if err != nil {
		t.Fatal(err)
	}
	newSAS := <-sasCh
	if !newSAS.Equal(check.SAS) || newSAS.Digits() != check.SAS.Digits() {
		t.Fatalf("the devices show different strings: %s and %s", newSAS.Digits(), check.SAS.Digits())
	}
	if err := alice.engine.FinishLink(ctx, check.Session, true); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.joined.Account.ID() != alice.acct.ID() || !res.joined.Account.Public().Equal(alice.acct.Public()) {
		t.Fatal("the new device got another account's keys")
	}
	cert, err := identity.ParseCertificate(res.joined.Certificate)
	if err != nil || !cert.Device.Equal(res.joined.Device.Public()) || !cert.Account.Equal(alice.acct.Public()) {
		t.Fatalf("certificate: %+v, %v", cert, err)
	}

	// The new device starts, names itself, and reads everything.
	tablet := newLinkedPeer(t, "Alice's tablet", alice.url, res.joined)
	tablet.online(t)
	testutil.Eventually(t, 30*time.Second, "the tablet reads the whole history", func() bool {
		if _, err := tablet.engine.Summary(ctx, chatID); err != nil {
			return false
		}
		return len(tablet.allMessages(t, chatID)) == 6
	})
	want := bodiesOf(alice.allMessages(t, chatID))
	got := bodiesOf(tablet.allMessages(t, chatID))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("the tablet's history %q, Alice's %q", got, want)
		}
	}
	testutil.Eventually(t, 20*time.Second, "the tablet's name reaches Alice", func() bool {
		ds, err := alice.engine.Devices(ctx)
		return err == nil && len(ds) == 2 && ds[1].Name == tablet.engine.dir.deviceName
	})
	// The tablet writes; Bob reads it as Alice's.
	sendAcked(t, tablet, chatID, "from the tablet")
	testutil.Eventually(t, 20*time.Second, "Bob reads the tablet", func() bool {
		for _, m := range bob.allMessages(t, chatID) {
			if m.Body == "from the tablet" {
				return m.Sender == alice.id()
			}
		}
		return false
	})
	noWarnings(t, bob)

	// Read state is the account's: what Alice has not read (Bob's two messages) is
	// unread on the tablet too, and reading there clears it on Alice's first device.
	sendAcked(t, bob, chatID, "unread so far")
	testutil.Eventually(t, 20*time.Second, "both of Alice's devices count Bob's two unread", func() bool {
		return summaryOf(t, alice, chatID).Unread == 2 && summaryOf(t, tablet, chatID).Unread == 2
	})
	if err := tablet.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "reading on the tablet clears Alice's badge", func() bool {
		return summaryOf(t, alice, chatID).Unread == 0
	})

	// The code works once.
	if _, err := alice.engine.BeginLink(ctx, j.Code().String()); !errors.Is(err, ErrLinkCode) {
		t.Errorf("reusing the code: %v, want ErrLinkCode", err)
	}
}

// Declined, and every way the code can be wrong: clear errors on both sides and
// nothing linked.
func TestLinkRefused(t *testing.T) {
	_, alice, _ := registered(t)
	ctx := context.Background()
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})

	// The user says the strings differ.
	j, _, done := startJoin(t, alice.url)
	check, err := alice.engine.BeginLink(ctx, j.Code().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.engine.FinishLink(ctx, check.Session, false); err != nil {
		t.Fatal(err)
	}
	if res := <-done; !errors.Is(res.err, ErrLinkDeclined) {
		t.Fatalf("the new device after a decline: %v, want ErrLinkDeclined", res.err)
	}
	if ds, _ := alice.engine.Devices(ctx); len(ds) != 1 {
		t.Fatalf("a declined device was listed: %+v", ds)
	}
	if err := alice.engine.FinishLink(ctx, check.Session, true); !errors.Is(err, ErrLinkEnded) {
		t.Errorf("confirming after the decline: %v, want ErrLinkEnded", err)
	}

	// The new device gives up before the comparison.
	j2, _, done2 := startJoin(t, alice.url)
	check2, err := alice.engine.BeginLink(ctx, j2.Code().String())
	if err != nil {
		t.Fatal(err)
	}
	j2.Close()
	<-done2
	testutil.Eventually(t, 10*time.Second, "the sponsor learns the new device left", func() bool {
		return errors.Is(alice.engine.FinishLink(ctx, check2.Session, true), ErrLinkEnded)
	})
	if ds, _ := alice.engine.Devices(ctx); len(ds) != 1 {
		t.Fatalf("a device that left was listed: %+v", ds)
	}

	key, err := devicelink.NewLinkKey()
	if err != nil {
		t.Fatal(err)
	}
	defer key.Destroy()
	now := time.Now()
	expired, _ := devicelink.NewCode(ids.LinkSession{1}, key.PublicKey(), alice.url, now.Add(-10*time.Minute))
	otherRelay, _ := devicelink.NewCode(ids.LinkSession{2}, key.PublicKey(), "ws://127.0.0.1:1", now)
	unknown, _ := devicelink.NewCode(ids.LinkSession{3}, key.PublicKey(), alice.url, now)
	for _, c := range []struct{ name, code string }{
		{"not a code", "hello"},
		{"expired", expired.String()},
		{"another relay", otherRelay.String()},
		{"unknown to the relay", unknown.String()},
	} {
		if _, err := alice.engine.BeginLink(ctx, c.code); !errors.Is(err, ErrLinkCode) {
			t.Errorf("%s: %v, want ErrLinkCode", c.name, err)
		}
	}
	if ds, _ := alice.engine.Devices(ctx); len(ds) != 1 {
		t.Fatalf("devices after the refusals: %+v", ds)
	}
}

// linkNewDevice runs the whole link of a new device to p's account and returns what
// it received.
func linkNewDevice(t testing.TB, p *peer) Joined {
	t.Helper()
	ctx := context.Background()
	j, sasCh, done := startJoin(t, p.url)
	check, err := p.engine.BeginLink(ctx, j.Code().String())
	if err != nil {
		t.Fatal(err)
	}
	<-sasCh
	if err := p.engine.FinishLink(ctx, check.Session, true); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	return res.joined
}

// A new device fetching a long history reports its progress, most recently active
// chat first; paused, it stops between pages and, resumed, goes on from there.
func TestHistorySyncProgress(t *testing.T) {
	r, alice, bob := registered(t)
	carol := newPeer(t, "Carol", "ws://"+r.Addr)
	carol.register(t, "carol")
	ctx := context.Background()
	busy := direct(t, alice, bob, "bob")
	quiet := direct(t, alice, carol, "carol")
	for i := range 300 {
		if _, err := alice.engine.Send(ctx, busy, fmt.Sprint("busy ", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	waitDelivered(t, bob, busy, alice, 300)
	sendAcked(t, alice, quiet, "the newest chat")
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})

	joined := linkNewDevice(t, alice)
	tablet := newLinkedPeerPaused(t, "Alice's tablet", alice.url, joined)
	testutil.Eventually(t, 30*time.Second, "the paused catch-up to stop", func() bool {
		ps := of[SyncProgress](tablet.events)
		return len(ps) > 0 && ps[len(ps)-1].Paused && !ps[len(ps)-1].Running
	})
	if n := countHeld(t, tablet, busy); n >= 300 {
		t.Fatalf("the paused device fetched all %d messages", n)
	}
	tablet.engine.PauseSync(false)
	testutil.Eventually(t, 30*time.Second, "the resumed catch-up to finish", func() bool {
		ps := of[SyncProgress](tablet.events)
		last := ps[len(ps)-1]
		return !last.Running && !last.Paused && last.MessagesDone == last.MessagesTotal
	})
	if n := countHeld(t, tablet, busy); n != 300 {
		t.Fatalf("the tablet holds %d messages of the busy chat, want 300", n)
	}
	// The most recently active chat came first, though the busy one is older and
	// larger.
	order := map[ids.Chat]int{}
	for i, c := range of[Chat](tablet.events) {
		if _, seen := order[c.ID]; !seen {
			order[c.ID] = i
		}
	}
	if qi, ok := order[quiet]; !ok || qi > order[busy] {
		t.Errorf("chats arrived in the order %v; want the newest (%s) first", order, quiet)
	}
	first := of[SyncProgress](tablet.events)[0]
	if first.ChatsTotal != 2 || first.MessagesTotal < 301 || !first.Running {
		t.Errorf("first report %+v", first)
	}
}

// countHeld counts a chat's messages in p's vault, 0 while it has none.
func countHeld(t *testing.T, p *peer, chatID ids.Chat) int {
	t.Helper()
	if _, err := p.engine.Summary(context.Background(), chatID); err != nil {
		return 0
	}
	return len(p.everything(t, chatID))
}

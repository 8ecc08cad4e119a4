package chat

import (
	"context"
	"errors"
	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
	"hush/vault"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDisplayNamesTravel: Alice's chosen name reaches Bob inside her messages (the
// relay carries only ciphertext), names his copy of her messages, the chat and her
// contact, follows her when she renames herself, and changes nothing that
// identifies her.
func TestDisplayNamesTravel(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()

	// Before Alice writes, Bob knows her only by handle.
	if c := bob.contactOf(t, alice); c.DisplayName != "@alice" || c.Handle != "alice" {
		t.Errorf("Bob's contact before any message = %+v", c)
	}
	if _, err := bob.engine.MarkVerified(ctx, alice.id(), true); err != nil {
		t.Fatal(err)
	}
	snBefore, err := bob.engine.SafetyNumber(ctx, alice.id())
	if err != nil {
		t.Fatal(err)
	}

	if _, err := alice.engine.Send(ctx, chatID, "hello Bob", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	if got := bob.allMessages(t, chatID); got[0].SenderName != "Alice" {
		t.Errorf("Bob's copy names the sender %q, want Alice", got[0].SenderName)
	}
	if news := of[Message](bob.events); len(news) != 1 || news[0].SenderName != "Alice" {
		t.Errorf("message:new = %+v, want one from Alice", news)
	}
	if got := bob.titleOf(t, chatID); got != "Alice" {
		t.Errorf("Bob's chat list title = %q, want Alice", got)
	}
	c := bob.contactOf(t, alice)
	if c.DisplayName != "Alice" || c.Handle != "alice" || !c.Verified || c.KeyChanged || c.Fingerprint != alice.acct.Public().Fingerprint() {
		t.Errorf("Bob's contact = %+v, want Alice (@alice), still verified, same key", c)
	}
	members, err := bob.engine.Members(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(members, func(m Member) bool { return m.Account == alice.id() })
	if i < 0 || members[i].DisplayName != "Alice" || members[i].Handle != "alice" {
		t.Errorf("members = %+v, want Alice with handle alice", members)
	}
	// Bob's own name comes from his profile, not from the network.
	if j := slices.IndexFunc(members, func(m Member) bool { return m.IsMe }); j < 0 || members[j].DisplayName != "Bob" {
		t.Errorf("members = %+v, want Bob as himself", members)
	}

	// Alice renames herself; her next message renames her on Bob's side.
	if err := alice.engine.SetDisplayName(ctx, "Alice Liddell 🐇"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.Send(ctx, chatID, "new name", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 2)
	testutil.Eventually(t, 10*time.Second, "the renamed title", func() bool { return bob.titleOf(t, chatID) == "Alice Liddell 🐇" })
	c = bob.contactOf(t, alice)
	if c.DisplayName != "Alice Liddell 🐇" || c.Handle != "alice" || !c.Verified || c.KeyChanged {
		t.Errorf("Bob's contact after the rename = %+v", c)
	}
	for _, m := range bob.allMessages(t, chatID) {
		if m.SenderName != "Alice Liddell 🐇" {
			t.Errorf("message %q names its sender %q, want her current name", m.Body, m.SenderName)
		}
	}
	// The event follows the commit the title check above saw.
	testutil.Eventually(t, 10*time.Second, "chat:updated with the new title", func() bool {
		ups := of[Chat](bob.events)
		return len(ups) > 0 && ups[len(ups)-1].Title == "Alice Liddell 🐇"
	})
	if sn, err := bob.engine.SafetyNumber(ctx, alice.id()); err != nil || sn.Digits != snBefore.Digits {
		t.Errorf("safety number changed with the name: %+v, %v", sn, err)
	}
	// Looking her handle up again keeps the name she gave.
	if c, err := bob.engine.AddContact(ctx, "alice"); err != nil || c.DisplayName != "Alice Liddell 🐇" || c.Handle != "alice" {
		t.Errorf("re-adding @alice = %+v, %v", c, err)
	}
	if w := of[Warning](bob.events); len(w) != 0 {
		t.Errorf("warnings = %+v, want none", w)
	}
}

// TestDisplayNameInGroups: a name heard in a group names the sender there and
// retitles the direct chat with them.
func TestDisplayNameInGroups(t *testing.T) {
	_, alice, bob := registered(t)
	dm := direct(t, bob, alice, "alice")
	ctx := context.Background()
	g, err := alice.engine.CreateGroup(ctx, "Tea party", []ids.Account{bob.id()})
	if err != nil {
		t.Fatal(err)
	}
	gid := g.ID
	testutil.Eventually(t, 20*time.Second, "Bob sees the group", func() bool { _, err := bob.engine.Summary(ctx, gid); return err == nil })
	if got := bob.titleOf(t, dm); got != "@alice" {
		t.Fatalf("direct chat title before = %q", got)
	}
	if _, err := alice.engine.Send(ctx, gid, "welcome", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, gid, alice, 1)
	if got := bob.allMessages(t, gid); got[0].SenderName != "Alice" {
		t.Errorf("group message from %q", got[0].SenderName)
	}
	if got := bob.titleOf(t, dm); got != "Alice" {
		t.Errorf("direct chat title after = %q, want Alice", got)
	}
	if got := bob.titleOf(t, gid); got != "Tea party" {
		t.Errorf("the group kept its own title? %q", got)
	}
	testutil.Eventually(t, 10*time.Second, "a chat:updated for the direct chat", func() bool {
		for _, s := range of[Chat](bob.events) {
			if s.ID == dm && s.Title == "Alice" {
				return true
			}
		}
		return false
	})
}

// TestNewestNameWins: during a catch-up, chats are read in any order; a name from
// an older message read late does not undo a newer one.
func TestNewestNameWins(t *testing.T) {
	_, alice, bob := registered(t)
	direct(t, alice, bob, "bob")
	ctx := context.Background()
	dir := bob.engine.dir
	batches := []struct {
		name string
		at   int64
		want string
	}{
		{"Alicia", 2000, "Alicia"},
		{"Alice (old)", 1000, "Alicia"}, // older: ignored
		{"Alicia", 3000, "Alicia"},
		{"Alice (older)", 2500, "Alicia"}, // older than the last time she said Alicia
		{"Alice", 4000, "Alice"},
	}
	for _, b := range batches {
		err := bob.vault.Update(ctx, func(tx *vault.Tx) error {
			var out batch
			out.hearName(alice.id(), b.name, b.at)
			_, err := dir.learnNames(tx, out.heard, nameCache{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := bob.contactOf(t, alice).DisplayName; got != b.want {
			t.Fatalf("after %q at %d: name %q, want %q", b.name, b.at, got, b.want)
		}
	}
	// Within one batch, the newest message's name is the one kept.
	var out batch
	out.hearName(alice.id(), "Late", 9000)
	out.hearName(alice.id(), "Early", 5000)
	if out.heard[alice.id()].name != "Late" {
		t.Errorf("batch kept %+v", out.heard)
	}
	// A name heard for this account itself is never stored on a contact.
	err := bob.vault.Update(ctx, func(tx *vault.Tx) error {
		var out batch
		out.hearName(bob.id(), "Mallory", 9999)
		_, err := dir.learnNames(tx, out.heard, nameCache{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.vault.View(ctx, func(tx *vault.Tx) error {
		_, err := tx.Contact(bob.id())
		return err
	}); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("own account as a contact: %v", err)
	}
}

// TestRevokedDeviceDropped revokes two of Alice's devices at a real relay: one that
// Bob had seen post (he learns of the revocation from the device list at his next
// connection), and one that nobody saw before it was revoked. Messages those devices
// left in the chat log are dropped, with a warning, by every device that reads them
// after learning of the revocation; Alice's first device learns of one revocation
// from the relay's DeviceRevoked push and of the other from her own device list.
func TestRevokedDeviceDropped(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()

	// Alice's laptop posts while it is hers; everyone accepts it.
	laptop := newDevice(t, alice, "Alice's laptop")
	laptop.online(t)
	testutil.Eventually(t, 20*time.Second, "the laptop has the chat", func() bool {
		_, err := laptop.engine.Summary(ctx, chatID)
		return err == nil
	})
	sendAcked(t, laptop, chatID, "hello from the laptop")
	for _, p := range []*peer{alice, bob} {
		testutil.Eventually(t, 20*time.Second, p.name+" reads the laptop", func() bool { return len(p.allMessages(t, chatID)) == 1 })
	}
	if d, ok := deviceIn(t, bob, laptop); !ok || d.Revoked || d.AccountID != alice.id() {
		t.Fatalf("Bob's record of the laptop: %+v, %v", d, ok)
	}

	// Bob is offline while the laptop (stolen, say) posts, then Alice revokes it.
	// Alice's first device is online: it takes the laptop's post live, and learns of
	// the revocation from the relay's push.
	bob.stop()
	sendAcked(t, laptop, chatID, "laptop spam")
	testutil.Eventually(t, 20*time.Second, "Alice has the laptop's post", func() bool { return len(alice.allMessages(t, chatID)) == 2 })
	revoke(t, alice, laptop)
	testutil.Eventually(t, 10*time.Second, "Alice records the revocation pushed to her", func() bool {
		d, ok := deviceIn(t, alice, laptop)
		return ok && d.Revoked
	})
	laptop.stop()

	// A phone of Alice's posts while Alice's first device and Bob are offline, and
	// is revoked before either ever saw it.
	alice.stop()
	phone := newDevice(t, alice, "Alice's phone")
	phone.online(t)
	testutil.Eventually(t, 20*time.Second, "the phone has the chat", func() bool {
		_, err := phone.engine.Summary(ctx, chatID)
		return err == nil
	})
	sendAcked(t, phone, chatID, "phone spam")
	revoke(t, phone, phone) // any device of the account may revoke; here itself, raw
	phone.stop()

	alice.start(t)
	bob.start(t)
	alice.online(t)
	bob.online(t)
	testutil.Eventually(t, 20*time.Second, "Bob's warnings", func() bool { return len(of[Warning](bob.events)) >= 2 })
	testutil.Eventually(t, 20*time.Second, "Alice's warning", func() bool { return len(of[Warning](alice.events)) >= 1 })

	// Everything after a revocation still works, and is read by both.
	if _, err := alice.engine.Send(ctx, chatID, "still here", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.engine.Send(ctx, chatID, "me too", nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob reads Alice", func() bool { return len(bob.allMessages(t, chatID)) == 3 })
	testutil.Eventually(t, 20*time.Second, "Alice reads Bob", func() bool { return len(alice.allMessages(t, chatID)) == 4 })

	if got := bodiesOf(bob.allMessages(t, chatID)); strings.Join(got, "|") != "hello from the laptop|still here|me too" &&
		strings.Join(got, "|") != "hello from the laptop|me too|still here" {
		t.Errorf("Bob holds %q, want nothing the revoked devices posted after he last read", got)
	}
	if got := bodiesOf(alice.allMessages(t, chatID)); len(got) != 4 || got[0] != "hello from the laptop" || got[1] != "laptop spam" {
		t.Errorf("Alice holds %q, want the laptop's posts she took before the revocation, and not the phone's", got)
	}
	for _, c := range []struct {
		p    *peer
		want int
	}{{bob, 2}, {alice, 1}} {
		w := of[Warning](c.p.events)
		if len(w) != c.want {
			t.Errorf("%s: %d warnings %+v, want %d", c.p.name, len(w), w, c.want)
		}
		for _, x := range w {
			if x.Chat != chatID || x.Kind != WarnRevokedDevice {
				t.Errorf("%s: warning %+v, want one about a revoked device", c.p.name, x)
			}
		}
		for _, dev := range []*peer{laptop, phone} {
			if d, ok := deviceIn(t, c.p, dev); !ok || !d.Revoked || d.AccountID != alice.id() {
				t.Errorf("%s's record of %s: %+v (found %v), want revoked", c.p.name, dev.name, d, ok)
			}
		}
	}
	// Alice's own device is never marked revoked by her own lists.
	if d, ok := deviceIn(t, alice, alice); !ok || d.Revoked || !d.Own {
		t.Errorf("Alice's own device: %+v", d)
	}
}

func TestContactKeyChange(t *testing.T) {
	r, alice, bob := registered(t)
	ctx := context.Background()
	c, err := alice.engine.AddContact(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyChanged || c.Verified || c.Handle != "bob" || c.Fingerprint != bob.acct.Public().Fingerprint() {
		t.Errorf("first contact = %+v", c)
	}
	sn, err := alice.engine.SafetyNumber(ctx, bob.id())
	if err != nil {
		t.Fatal(err)
	}
	if len(sn.Emoji) != 8 || len(strings.ReplaceAll(sn.Digits, " ", "")) != 60 {
		t.Errorf("safety number = %+v", sn)
	}
	if c, err = alice.engine.MarkVerified(ctx, bob.id(), true); err != nil || !c.Verified {
		t.Fatalf("MarkVerified = %+v, %v", c, err)
	}
	// Adding again with nothing changed is quiet.
	if c, err = alice.engine.AddContact(ctx, "bob"); err != nil || c.KeyChanged || !c.Verified {
		t.Fatalf("re-add = %+v, %v", c, err)
	}

	// Bob's handle moves to a new account (new keys, or an impostor).
	if _, err := bob.engine.RegisterHandle(ctx, "bob_old"); err != nil {
		t.Fatal(err)
	}
	bob2 := newPeer(t, "Bobby", "ws://"+r.Addr)
	bob2.register(t, "bob")
	c, err = alice.engine.AddContact(ctx, "@bob")
	if err != nil {
		t.Fatal(err)
	}
	if !c.KeyChanged || c.Verified || c.Account != bob2.id() {
		t.Errorf("contact after the key change = %+v, want keyChanged for the new account", c)
	}
	w := of[Warning](alice.events)
	if len(w) != 1 || w[0].Kind != WarnHandleMoved || w[0].Handle != "bob" {
		t.Errorf("warnings = %+v", w)
	}
	sn2, err := alice.engine.SafetyNumber(ctx, bob2.id())
	if err != nil {
		t.Fatal(err)
	}
	if sn2.Digits == sn.Digits {
		t.Error("the safety number did not change with the key")
	}
	all, err := alice.engine.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("contacts = %+v", all)
	}
	if c, err = alice.engine.MarkVerified(ctx, bob2.id(), true); err != nil || c.KeyChanged {
		t.Errorf("after re-verifying: %+v, %v", c, err)
	}
	if _, err := alice.engine.AddContact(ctx, "nobody_here"); err == nil {
		t.Error("an unknown handle was added")
	}
	if _, err := alice.engine.SafetyNumber(ctx, ids.Account{1}); err == nil {
		t.Error("safety number of a stranger")
	}
}

// otherDevice is a device of another account, with its verified certificate.
func otherDevice(t *testing.T, acct *identity.AccountKey) identity.Certificate {
	t.Helper()
	dev, err := identity.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := identity.IssueCertificate(acct, dev.Public(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := identity.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestCheckDevice walks the decisions about a message's sender device, without the
// relay: what the vault knows, whether the account's list is fresh, and whether it
// was looked up between the two passes.
func TestCheckDevice(t *testing.T) {
	_, alice, _ := registered(t)
	dir := alice.engine.dir
	carolKey, err := identity.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	carol := carolKey.ID()
	known, revoked, foreign, unknown := otherDevice(t, carolKey), otherDevice(t, carolKey), otherDevice(t, carolKey), otherDevice(t, carolKey)
	err = alice.vault.Update(context.Background(), func(tx *vault.Tx) error {
		now := time.Now()
		r := deviceOf(carol, revoked, nil, now)
		r.Revoked = true
		f := deviceOf(ids.New[ids.Account](), foreign, nil, now)
		return errors.Join(tx.PutDevice(deviceOf(carol, known, nil, now)), tx.PutDevice(r), tx.PutDevice(f))
	})
	if err != nil {
		t.Fatal(err)
	}
	own, err := identity.ParseCertificate(alice.cert)
	if err != nil {
		t.Fatal(err)
	}
	check := func(cert identity.Certificate, account ids.Account, first, looked bool) deviceVerdict {
		t.Helper()
		var v deviceVerdict
		err := alice.vault.Update(context.Background(), func(tx *vault.Tx) error {
			var err error
			v, err = dir.checkDevice(tx, account, cert, first, looked)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Stale list: the first pass asks for a look-up, whatever the vault knows.
	dir.forgetDeviceLists()
	if v := check(known, carol, true, false); v != deviceLookup {
		t.Errorf("stale list, first pass: %v, want a look-up", v)
	}
	if v := check(own, alice.id(), true, false); v != deviceOK {
		t.Errorf("this device: %v, want OK", v)
	}
	dir.markFresh(carol)
	for _, c := range []struct {
		name          string
		cert          identity.Certificate
		first, looked bool
		want          deviceVerdict
	}{
		{"known", known, true, false, deviceOK},
		{"revoked", revoked, true, false, deviceRevoked},
		{"stored for another account", foreign, true, false, deviceForeign},
		{"unknown, first pass", unknown, true, false, deviceLookup},
		{"unknown, look-up failed", unknown, false, false, deviceWait},
		{"unknown after a look-up", unknown, false, true, deviceRevoked},
		{"remembered as revoked", unknown, true, false, deviceRevoked},
	} {
		if v := check(c.cert, carol, c.first, c.looked); v != c.want {
			t.Errorf("%s: %v, want %v", c.name, v, c.want)
		}
	}
}

// TestDeviceListFreshness: a looked-up list is trusted for deviceListMaxAge on the
// fake clock, and a reconnection forgets them all.
func TestDeviceListFreshness(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	d := &directory{clk: clk, fresh: map[ids.Account]time.Time{}}
	a := ids.New[ids.Account]()
	if d.isFresh(a) {
		t.Fatal("fresh before any look-up")
	}
	d.markFresh(a)
	clk.Advance(deviceListMaxAge - time.Second)
	if !d.isFresh(a) {
		t.Error("stale before deviceListMaxAge")
	}
	clk.Advance(time.Second)
	if d.isFresh(a) {
		t.Error("fresh after deviceListMaxAge")
	}
	d.markFresh(a)
	d.forgetDeviceLists()
	if d.isFresh(a) {
		t.Error("fresh after a reconnection")
	}
	for range maxFreshLists {
		d.markFresh(ids.New[ids.Account]())
	}
	if d.markFresh(a); len(d.fresh) != 1 || !d.isFresh(a) {
		t.Errorf("%d lists remembered past the bound", len(d.fresh))
	}
}

// TestHandleChangedAndRemoved: a new handle replaces the old one at the relay (the
// old one finds nobody), a removed one finds nobody and stays removed after a
// restart, and the account's other device learns both when it connects. Contacts
// keep the account whatever its handle.
func TestHandleChangedAndRemoved(t *testing.T) {
	_, alice, bob := registered(t)
	ctx := context.Background()
	phone := newDevice(t, bob, "phone")
	phone.online(t)
	testutil.Eventually(t, 20*time.Second, "the phone learns @bob", func() bool { return phone.engine.Connection().Handle == "bob" })
	if _, err := alice.engine.AddContact(ctx, "bob"); err != nil {
		t.Fatal(err)
	}

	if c, err := bob.engine.RegisterHandle(ctx, "@Bobby"); err != nil || c.Handle != "bobby" {
		t.Fatalf("RegisterHandle(@Bobby) = %+v, %v", c, err)
	}
	if _, err := alice.engine.AddContact(ctx, "bob"); !errors.Is(err, ErrUnknownHandle) {
		t.Errorf("the old handle still finds someone: %v", err)
	}
	if c, err := alice.engine.AddContact(ctx, "bobby"); err != nil || c.Account != bob.id() || c.KeyChanged {
		t.Errorf("AddContact(bobby) = %+v, %v", c, err)
	}
	phone.stop()
	phone.start(t)
	testutil.Eventually(t, 20*time.Second, "the phone learns @bobby", func() bool { return phone.engine.Connection().Handle == "bobby" })

	bob.events.reset()
	c, err := bob.engine.RemoveHandle(ctx)
	if err != nil || c.Handle != "" {
		t.Fatalf("RemoveHandle = %+v, %v", c, err)
	}
	if got := of[Connection](bob.events); len(got) == 0 || got[len(got)-1].Handle != "" {
		t.Errorf("connection events after the removal = %+v", got)
	}
	if _, err := alice.engine.AddContact(ctx, "bobby"); !errors.Is(err, ErrUnknownHandle) {
		t.Errorf("the removed handle still finds someone: %v", err)
	}
	if got := alice.contactOf(t, bob); got.Account != bob.id() {
		t.Errorf("alice's contact of bob after the removal = %+v", got)
	}
	bob.stop()
	bob.start(t)
	bob.online(t)
	if h := bob.engine.Connection().Handle; h != "" {
		t.Errorf("after a restart, bob's handle = %q", h)
	}
	phone.stop()
	phone.start(t)
	testutil.Eventually(t, 20*time.Second, "the phone learns the removal", func() bool {
		return phone.engine.Connection().State == LinkOnline && phone.engine.Connection().Handle == ""
	})
}

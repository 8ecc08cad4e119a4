package chat

import (
	"bytes"
	"context"
	"errors"
	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
	"hush/membership"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/relay/store"
	"hush/sync/wire"
	"hush/vault"
	"testing"
	"time"
)

func TestGroupMembershipAndRotation(t *testing.T) {
	r, alice, bob, carol := threePeople(t)
	ctx := context.Background()
	s, err := alice.engine.CreateGroup(ctx, "Book club", []ids.Account{bob.id(), carol.id()})
	if err != nil {
		t.Fatal(err)
	}
	chatID := s.ID
	if s.Kind != policy.KindGroup || s.MyRole != policy.RoleOwner || s.MemberCount != 3 || !s.CanPost {
		t.Errorf("owner's summary = %+v", s)
	}
	for _, p := range []*peer{bob, carol} {
		testutil.Eventually(t, 20*time.Second, p.name+" learns the title", func() bool {
			s, err := p.engine.Summary(ctx, chatID)
			return err == nil && s.Title == "Book club"
		})
		if s := summaryOf(t, p, chatID); s.MyRole != policy.RoleMember || !s.CanPost {
			t.Errorf("%s's summary = %+v", p.name, s)
		}
	}
	// Everyone talks; everyone hears everyone.
	for _, p := range []*peer{alice, bob, carol} {
		if _, err := p.engine.Send(ctx, chatID, body(p.name, 0), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*peer{alice, bob, carol} {
		for _, q := range []*peer{alice, bob, carol} {
			if p != q {
				waitDelivered(t, p, chatID, q, 1)
			}
		}
	}
	// A plain member may not remove anyone.
	if _, err := bob.engine.RemoveMember(ctx, chatID, carol.id()); !errors.Is(err, ErrForbidden) {
		t.Errorf("member removes member: %v, want ErrForbidden", err)
	}
	// The owner makes Bob an admin; Bob sees it.
	ms, err := alice.engine.SetRole(ctx, chatID, bob.id(), policy.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if roleIn(ms, bob.id()) != policy.RoleAdmin {
		t.Errorf("members after SetRole = %+v", ms)
	}
	testutil.Eventually(t, 10*time.Second, "Bob is admin", func() bool { return summaryOf(t, bob, chatID).MyRole == policy.RoleAdmin })

	// Carol's keys before she is removed: all she will ever have.
	carolKeys := carol.epochKeys(t, chatID)
	if len(carolKeys) == 0 {
		t.Fatal("Carol holds no epoch key")
	}
	var carolMax uint64
	for ep := range carolKeys {
		carolMax = max(carolMax, ep)
	}
	ms, err = alice.engine.RemoveMember(ctx, chatID, carol.id())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || roleIn(ms, carol.id()) != 0 {
		t.Errorf("members after removal = %+v", ms)
	}
	// Carol learns it from the log, signed by Alice; her history stays hers.
	testutil.Eventually(t, 10*time.Second, "Carol told she is out", func() bool {
		s := summaryOf(t, carol, chatID)
		return s.Hold == HoldRemoved && s.RemovedBy == alice.id() && s.MyRole == 0
	})
	if n := len(carol.allMessages(t, chatID)); n != 3 {
		t.Errorf("Carol kept %d messages, want the 3 she read", n)
	}
	// The UI heard of the line as a line, not as a message (the event follows the
	// commit the check above saw).
	testutil.Eventually(t, 10*time.Second, "a service line event for the removal", func() bool {
		for _, m := range of[Message](carol.events) {
			if m.Service != nil && m.Service.Kind == ServiceRemoved {
				return true
			}
		}
		return false
	})
	// Every member's chat shows the removal, as the log says it.
	for _, p := range []*peer{alice, bob, carol} {
		testutil.Eventually(t, 10*time.Second, p.name+" shows the removal", func() bool {
			for _, l := range p.allLines(t, chatID) {
				if l.Service.Kind == ServiceRemoved && l.Sender == alice.id() && len(l.Service.Targets) == 1 && l.Service.Targets[0].Account == carol.id() {
					// Only the author's own line is hers, so only Alice's reads "You removed".
					if l.Outgoing != (p == alice) {
						t.Errorf("%s: the removal line's Outgoing = %v", p.name, l.Outgoing)
					}
					return true
				}
			}
			return false
		})
	}
	// The key rotated to the remaining members.
	aliceKeys := alice.epochKeys(t, chatID)
	var aliceMax uint64
	for ep := range aliceKeys {
		aliceMax = max(aliceMax, ep)
	}
	if aliceMax <= carolMax {
		t.Fatalf("no rotation: Alice's newest epoch %d, Carol's %d", aliceMax, carolMax)
	}
	after := []string{"secret plan A", "secret plan B"}
	if _, err := alice.engine.Send(ctx, chatID, after[0], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.engine.Send(ctx, chatID, after[1], nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 2)
	waitDelivered(t, alice, chatID, bob, 2)

	// Check with Carol's own keys: nothing sent after the removal opens.
	raw := relaytest.Dial(t, r, alice.device())
	page, err := raw.Request(ctx, &wire.Fetch{ChatID: ids.Chat(chatID), Limit: wire.MaxPageEntries})
	if err != nil {
		t.Fatal(err)
	}
	entries := page.(*wire.Page).Entries
	tried := 0
	for _, en := range entries {
		if en.Epoch <= carolMax {
			continue
		}
		tried++
		sender := alice.acct.Public()
		if en.SenderAccount == bob.id() {
			sender = bob.acct.Public()
		}
		for ep, k := range carolKeys {
			for _, asEpoch := range []uint64{ep, en.Epoch} {
				_, err := chatcrypto.Open(en.Ciphertext, chatcrypto.OpenParams{ChatID: ids.Chat(chatID), Epoch: asEpoch, EpochKey: k, MessageID: ids.Message(en.MsgID), Sender: sender})
				if err == nil {
					t.Fatalf("Carol's epoch-%d key opens message %d of epoch %d", ep, en.Seq, en.Epoch)
				}
			}
		}
	}
	if tried < 2 {
		t.Fatalf("only %d messages after the removal were checked", tried)
	}
	// Nor can Carol open the new epoch's envelopes, or fetch anything more.
	eps, err := raw.Request(ctx, &wire.FetchEpochs{ChatID: ids.Chat(chatID), FromEpoch: carolMax + 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range eps.(*wire.Epochs).Keys {
		if _, _, err := chatcrypto.VerifyKeyLogEntry(k.Envelope, ids.Chat(chatID), k.Epoch, carol.acct, []identity.AccountPublicKey{alice.acct.Public(), bob.acct.Public()}); err == nil {
			t.Fatalf("Carol opens Alice's envelope of epoch %d", k.Epoch)
		}
	}
	carolRaw := relaytest.Dial(t, r, carol.device())
	if _, err := carolRaw.Request(ctx, &wire.Fetch{ChatID: ids.Chat(chatID)}); !errors.Is(err, wire.ErrNotFound) {
		t.Errorf("removed member fetches: %v, want not found", err)
	}
	if _, err := carolRaw.Request(ctx, &wire.FetchEpochs{ChatID: ids.Chat(chatID), FromEpoch: 1}); !errors.Is(err, wire.ErrNotFound) {
		t.Errorf("removed member fetches epochs: %v, want not found", err)
	}
	noWarnings(t, alice, bob, carol)
}

func TestLeaveRotatesAndAddGetsTitle(t *testing.T) {
	_, alice, bob, carol := threePeople(t)
	ctx := context.Background()
	s, err := alice.engine.CreateGroup(ctx, "Hikers", []ids.Account{bob.id()})
	if err != nil {
		t.Fatal(err)
	}
	chatID := s.ID
	testutil.Eventually(t, 20*time.Second, "Bob has the group", func() bool {
		s, err := bob.engine.Summary(ctx, chatID)
		return err == nil && s.Title == "Hikers"
	})
	before := len(alice.epochKeys(t, chatID))
	if _, err := bob.engine.Send(ctx, chatID, "bye", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, alice, chatID, bob, 1)
	if err := bob.engine.Leave(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.engine.Summary(ctx, chatID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Bob still has the chat after leaving: %v", err)
	}
	// The owner rotates when it learns of the departure.
	testutil.Eventually(t, 20*time.Second, "Alice rotates", func() bool { return len(alice.epochKeys(t, chatID)) > before })

	// Carol joins later: she gets a key for what follows, and the title.
	if _, err := alice.engine.AddMembers(ctx, chatID, []ids.Account{carol.id()}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Carol has the group and its title", func() bool {
		s, err := carol.engine.Summary(ctx, chatID)
		return err == nil && s.Title == "Hikers"
	})
	if _, err := alice.engine.Send(ctx, chatID, "welcome Carol", nil); err != nil {
		t.Fatal(err)
	}
	// Carol answers once she has read it, so the log order is the one checked below.
	waitDelivered(t, carol, chatID, alice, 1)
	if _, err := carol.engine.Send(ctx, chatID, "thanks", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, alice, chatID, carol, 1)
	// Carol reads what follows her joining, not what came before (Bob's "bye").
	if msgs := carol.allMessages(t, chatID); len(msgs) != 2 || msgs[0].Body != "welcome Carol" || msgs[1].Body != "thanks" {
		t.Errorf("Carol holds %+v", msgs)
	}
	if msgs := alice.allMessages(t, chatID); len(msgs) != 3 || msgs[0].Body != "bye" {
		t.Errorf("Alice holds %+v", msgs)
	}
	noWarnings(t, alice, bob, carol)
}

func TestChannel(t *testing.T) {
	_, alice, bob, carol := threePeople(t)
	ctx := context.Background()
	s, err := alice.engine.CreateChannel(ctx, "News", []ids.Account{bob.id(), carol.id()})
	if err != nil {
		t.Fatal(err)
	}
	chatID := s.ID
	if s.Kind != policy.KindChannel || !s.CanPost {
		t.Errorf("owner's channel summary = %+v", s)
	}
	testutil.Eventually(t, 20*time.Second, "Bob subscribed", func() bool {
		s, err := bob.engine.Summary(ctx, chatID)
		return err == nil && s.Title == "News"
	})
	if s := summaryOf(t, bob, chatID); s.CanPost || s.MyRole != policy.RoleMember || s.Kind != policy.KindChannel {
		t.Errorf("subscriber's summary = %+v", s)
	}
	if _, err := bob.engine.Send(ctx, chatID, "may I?", nil); !errors.Is(err, ErrForbidden) {
		t.Errorf("subscriber posts: %v, want ErrForbidden", err)
	}
	for i := range 3 {
		if _, err := alice.engine.Send(ctx, chatID, body(alice.name, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	waitDelivered(t, bob, chatID, alice, 3)
	waitDelivered(t, carol, chatID, alice, 3)
	checkTranscript(t, carol, chatID, 3, alice)
}

// TestTitleTravelsInTheLog: a title change is a record of the membership log, signed
// by the owner or an admin; the record holds only the title's salted commitment —
// the relay cannot read the title — and the title goes to the members sealed, applied
// only when it matches the newest commitment of their verified log. A member cannot
// rename the chat, through the engine or with a forged chat-metadata message.
func TestTitleTravelsInTheLog(t *testing.T) {
	r, alice, bob, carol := threePeople(t)
	ctx := context.Background()
	s, err := alice.engine.CreateGroup(ctx, "Book club", []ids.Account{bob.id(), carol.id()})
	if err != nil {
		t.Fatal(err)
	}
	chatID := s.ID
	titleIs := func(p *peer, want string) func() bool {
		return func() bool {
			s, err := p.engine.Summary(ctx, chatID)
			return err == nil && s.Title == want
		}
	}
	for _, p := range []*peer{bob, carol} {
		testutil.Eventually(t, 20*time.Second, p.name+" learns the title", titleIs(p, "Book club"))
	}
	// Nothing the relay stores holds the title: not the log, not the chat log.
	raw := relaytest.Dial(t, r, bob.device())
	for _, req := range []wire.Body{&wire.FetchLog{ChatID: chatID}, &wire.Fetch{ChatID: chatID}} {
		resp, err := raw.Request(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := wire.Encode(0, resp)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("Book club")) {
			t.Fatalf("the relay's answer to %v holds the title", req.Type())
		}
	}

	// A plain member may not rename the chat.
	if _, err := bob.engine.SetTitle(ctx, chatID, "Hijacked"); !errors.Is(err, ErrForbidden) {
		t.Errorf("a member renames: %v, want ErrForbidden", err)
	}
	// Nor from a modified client, with a chat-metadata message: it matches no record.
	keys := bob.epochKeys(t, chatID)
	epoch := newest(keys)
	bobSender, err := chatcrypto.NewSender(bob.dev, bob.cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, salt := range [][]byte{nil, bytes.Repeat([]byte{1}, chatcrypto.TitleSaltSize)} {
		id := ids.New[ids.Message]()
		sealed, err := chatcrypto.Seal(chatcrypto.SealParams{Sender: bobSender, ChatID: chatID, Epoch: epoch, EpochKey: keys[epoch],
			MessageID: id, Content: chatcrypto.Content{Kind: chatcrypto.KindChatMeta, ChatMeta: &chatcrypto.ChatMeta{Title: "Hijacked", Salt: salt}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Request(ctx, &wire.Send{ChatID: chatID, MsgID: id, Epoch: epoch, Ciphertext: sealed}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bob.engine.Send(ctx, chatID, "after", nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peer{alice, carol} {
		waitDelivered(t, p, chatID, bob, 1)
		if got := summaryOf(t, p, chatID).Title; got != "Book club" {
			t.Errorf("%s: title %q after a member's rename, want it unchanged", p.name, got)
		}
	}

	// Made an admin, Bob may rename it; everyone sees the new title in a line.
	if _, err := alice.engine.SetRole(ctx, chatID, bob.id(), policy.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Bob is admin", func() bool { return summaryOf(t, bob, chatID).MyRole == policy.RoleAdmin })
	if _, err := bob.engine.SetTitle(ctx, chatID, "Reading circle"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peer{alice, bob, carol} {
		testutil.Eventually(t, 10*time.Second, p.name+" applies the admin's title", titleIs(p, "Reading circle"))
		testutil.Eventually(t, 10*time.Second, p.name+" shows who renamed it", func() bool {
			ls := p.allLines(t, chatID)
			last := ls[len(ls)-1].Service
			return last.Kind == ServiceTitle && last.Title == "Reading circle" && ls[len(ls)-1].Sender == bob.id()
		})
		// The UI heard of the line complete — live, not only when it reads the chat
		// again — with its title (which travels apart from the record) and its author.
		ls := p.allLines(t, chatID)
		line := ls[len(ls)-1]
		testutil.Eventually(t, 10*time.Second, p.name+"'s UI shows the line complete", func() bool {
			var heard *Message
			for _, m := range of[Message](p.events) {
				if m.ID == line.ID {
					heard = &m
				}
			}
			return heard != nil && heard.Service != nil && heard.Service.Title == "Reading circle" &&
				heard.Service.By.Account == bob.id() && heard.Service.By.IsMe == (p == bob)
		})
	}
	// Dan, added later, learns the title though he holds no key of the epoch it was
	// first sent in.
	dan := newPeer(t, "Dan", "ws://"+r.Addr)
	dan.register(t, "dan")
	if _, err := dan.engine.AddContact(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.AddContact(ctx, "dan"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.AddMembers(ctx, chatID, []ids.Account{dan.id()}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Dan learns the title", titleIs(dan, "Reading circle"))
	noWarnings(t, alice, bob, carol, dan)
}

// TestOlderChatAdopted: a group created before membership logs — held by the relay
// and by each member's vault without a log — gets its first record from its owner
// at the next catch-up; the members accept it because their own vaults hold its
// signer as the owner, and it works as any chat (a key, then messages). A first
// record the relay serves from anyone else is refused.
func TestOlderChatAdopted(t *testing.T) {
	w := newAttackWorld(t, nil)
	ctx := context.Background()
	legacy := func(members ...vault.Member) ids.Chat {
		id := ids.New[ids.Chat]()
		err := w.evil.Store.Write(ctx, func(tx store.Tx) error {
			c := &store.Chat{ID: id, Kind: policy.KindGroup, CreatedBy: members[0].AccountID, Members: map[ids.Account]*store.Member{}}
			for _, m := range members {
				c.Members[m.AccountID] = &store.Member{Role: m.Role}
			}
			return tx.CreateChat(ctx, c, time.Now().UnixMilli())
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*peer{w.alice, w.bob, w.carol} {
			if err := p.vault.Update(ctx, func(tx *vault.Tx) error {
				return tx.PutChat(vault.Chat{ID: id, Kind: policy.KindGroup, Title: "From before", Members: members, LastActivity: time.Now()})
			}); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	members := []vault.Member{{AccountID: w.alice.id(), Role: policy.RoleOwner}, {AccountID: w.bob.id(), Role: policy.RoleMember}, {AccountID: w.carol.id(), Role: policy.RoleMember}}
	// The relay serves Bob, for the second chat, a first record Carol signed: she is
	// no owner on Bob's device.
	forgedChat := ids.New[ids.Chat]()
	carolsRecord := func() []byte {
		s, err := membership.NewSigner(w.carol.dev, w.carol.cert)
		if err != nil {
			t.Fatal(err)
		}
		ms := []membership.Member{{Account: w.carol.id(), Role: policy.RoleOwner}, {Account: w.alice.id(), Role: policy.RoleMember}, {Account: w.bob.id(), Role: policy.RoleMember}}
		rec, err := s.Sign(forgedChat, 0, membership.Hash{}, time.Now(), membership.Change{Op: membership.OpCreate, Kind: policy.KindGroup, Title: relaytest.Title(forgedChat, "Mine now"), Members: ms})
		if err != nil {
			t.Fatal(err)
		}
		return rec.Raw
	}()
	w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		switch b := f.Body.(type) {
		case *wire.ChatInfo:
			if b.ChatID == forgedChat && tap.Account() == w.bob.id() {
				b.LogLen = 1
			}
		case *wire.Log:
			if b.ChatID == forgedChat && tap.Account() == w.bob.id() {
				b.Records = [][]byte{carolsRecord}
			}
		case *wire.FetchLog:
			if b.ChatID == forgedChat && tap.Account() == w.bob.id() {
				tap.Inject(relaytest.ToDevice, wire.Frame{ReqID: f.ReqID, Body: &wire.Log{ChatID: forgedChat, Records: [][]byte{carolsRecord}}})
				return nil
			}
		}
		return []wire.Frame{f}
	})
	for _, p := range []*peer{w.alice, w.bob, w.carol} {
		p.stop()
	}
	old := legacy(members...)
	id := forgedChat
	if err := w.evil.Store.Write(ctx, func(tx store.Tx) error {
		c := &store.Chat{ID: id, Kind: policy.KindGroup, CreatedBy: w.alice.id(), Members: map[ids.Account]*store.Member{}}
		for _, m := range members {
			c.Members[m.AccountID] = &store.Member{Role: m.Role}
		}
		return tx.CreateChat(ctx, c, time.Now().UnixMilli())
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.bob.vault.Update(ctx, func(tx *vault.Tx) error {
		return tx.PutChat(vault.Chat{ID: id, Kind: policy.KindGroup, Title: "Also from before", Members: members, LastActivity: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	// Only Bob starts at first: the relay can serve him the forged record before
	// Alice adopts that chat for real.
	w.bob.start(t)
	testutil.Eventually(t, 20*time.Second, "Bob refuses the forged first record", func() bool {
		return summaryOf(t, w.bob, forgedChat).Hold == HoldTampered
	})
	for _, p := range []*peer{w.alice, w.carol} {
		p.start(t)
	}
	for _, p := range []*peer{w.alice, w.bob, w.carol} {
		testutil.Eventually(t, 20*time.Second, p.name+" holds the older chat secured", func() bool {
			s := summaryOf(t, p, old)
			return s.Hold != HoldNotSecured && s.Hold != HoldTampered && s.MemberCount == 3 && s.Title == "From before"
		})
	}
	if _, err := w.alice.engine.Send(ctx, old, "still here", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, w.bob, old, w.alice, 1)
	waitDelivered(t, w.carol, old, w.alice, 1)
}

// TestRemovedWhileAway: Carol's device is off when Alice removes her, and Bob's too.
// When they start again the relay no longer lists the chat for Carol; her chat must
// not vanish: it stays with its history, held as removed by Alice, with the line the
// signed record gives — and Bob, back too, shows the same line.
func TestRemovedWhileAway(t *testing.T) {
	_, alice, bob, carol := threePeople(t)
	ctx := context.Background()
	s, err := alice.engine.CreateGroup(ctx, "Trio", []ids.Account{bob.id(), carol.id()})
	if err != nil {
		t.Fatal(err)
	}
	chatID := s.ID
	for i := range 3 {
		if _, err := alice.engine.Send(ctx, chatID, body(alice.name, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	waitDelivered(t, carol, chatID, alice, 3)
	waitDelivered(t, bob, chatID, alice, 3)
	carol.stop()
	bob.stop()
	if _, err := alice.engine.RemoveMember(ctx, chatID, carol.id()); err != nil {
		t.Fatal(err)
	}
	carol.start(t)
	bob.start(t)

	testutil.Eventually(t, 20*time.Second, "Carol's chat held as removed by Alice", func() bool {
		s, err := carol.engine.Summary(ctx, chatID)
		return err == nil && s.Hold == HoldRemoved && s.RemovedBy == alice.id() && !s.CanPost
	})
	if n := carol.countFrom(t, chatID, alice); n != 3 {
		t.Errorf("Carol kept %d of Alice's messages, want 3", n)
	}
	for _, p := range []*peer{carol, bob} {
		testutil.Eventually(t, 20*time.Second, p.name+" shows the removal line", func() bool {
			for _, l := range p.allLines(t, chatID) {
				if l.Service.Kind == ServiceRemoved && l.Sender == alice.id() && len(l.Service.Targets) == 1 && l.Service.Targets[0].Account == carol.id() {
					return true
				}
			}
			return false
		})
	}
	if _, err := carol.engine.Send(ctx, chatID, "can I still write?", nil); err == nil {
		t.Error("Carol sent into a chat she was removed from")
	}
	for _, c := range of[chatRemoved](carol.events) {
		if c.chat == chatID {
			t.Error("Carol's UI was told the chat is gone")
		}
	}
	noWarnings(t, alice, bob, carol)
}

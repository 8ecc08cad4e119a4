package vault

import (
	"bytes"
	"errors"
	"hush/ids"
	"hush/policy"
	"slices"
	"strings"
	"testing"
	"time"
)

var ts = time.Date(2025, 3, 4, 5, 6, 7, 890123000, time.UTC)

func TestAccountsAndDevices(t *testing.T) {
	v, _ := newVault(t)
	a1 := Account{ID: newID(t), DisplayName: "Ada", Handle: "@ada", SigningSeed: []byte("seed"), EncryptionKey: []byte("enc"), KEMSeed: []byte("kem"), OtherKEMSeeds: [][]byte{[]byte("old1"), []byte("old2")}, CreatedAt: ts}
	a2 := Account{ID: newID(t), DisplayName: "Bob"}
	d1 := Device{ID: newID(t), AccountID: a1.ID, Name: "laptop", SigningPublic: []byte("sp"), EncryptionPublic: []byte("ep"),
		SigningSeed: []byte("ss"), EncryptionKey: []byte("ek"), Certificate: []byte("cert"), Own: true, CreatedAt: ts}
	d2 := Device{ID: newID(t), AccountID: a1.ID, Name: "desktop", Revoked: true}
	d3 := Device{ID: newID(t), AccountID: newID(t), Name: "theirs"}
	update(t, v, func(tx *Tx) error {
		for _, a := range []Account{a1, a2} {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		for _, d := range []Device{d1, d2, d3} {
			if err := tx.PutDevice(d); err != nil {
				return err
			}
		}
		return nil
	})
	// Replace: same id, new content.
	a2.DisplayName = "Bobby"
	update(t, v, func(tx *Tx) error { return tx.PutAccount(a2) })

	view(t, v, func(tx *Tx) error {
		got, err := tx.Accounts()
		if err != nil {
			return err
		}
		if len(got) != 2 || got[0].ID != a1.ID || got[1].DisplayName != "Bobby" {
			t.Errorf("Accounts = %+v", got)
		}
		if !got[0].CreatedAt.Equal(ts) || string(got[0].EncryptionKey) != "enc" || string(got[0].KEMSeed) != "kem" || len(got[0].OtherKEMSeeds) != 2 || string(got[0].OtherKEMSeeds[1]) != "old2" {
			t.Errorf("account 1 = %+v", got[0])
		}
		dev, err := tx.Device(d1.ID)
		if err != nil {
			return err
		}
		if dev.Name != "laptop" || !dev.Own || dev.Revoked || string(dev.Certificate) != "cert" || dev.AccountID != a1.ID ||
			string(dev.SigningSeed) != "ss" || !dev.CreatedAt.Equal(ts) {
			t.Errorf("Device = %+v", dev)
		}
		devs, err := tx.DevicesOf(a1.ID)
		if err != nil {
			return err
		}
		if len(devs) != 2 || devs[0].ID != d1.ID || devs[1].ID != d2.ID || !devs[1].Revoked {
			t.Errorf("DevicesOf = %+v", devs)
		}
		if _, err := tx.Account(newID(t)); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing account: %v", err)
		}
		if _, err := tx.Device(newID(t)); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing device: %v", err)
		}
		return nil
	})
}

func TestContacts(t *testing.T) {
	v, _ := newVault(t)
	c := Contact{AccountID: newID(t), Handle: "@eve", DisplayName: "Eve", SigningKey: []byte("sk"), EncryptionKey: []byte("ek"),
		PinnedAt: ts, KeyChangedAt: ts.Add(time.Hour), Verified: true}
	other := Contact{AccountID: newID(t), Handle: "@mallory"}
	update(t, v, func(tx *Tx) error {
		if err := tx.PutContact(c); err != nil {
			return err
		}
		return tx.PutContact(other)
	})
	view(t, v, func(tx *Tx) error {
		got, err := tx.Contact(c.AccountID)
		if err != nil {
			return err
		}
		if got.Handle != "@eve" || got.DisplayName != "Eve" || !got.Verified || !got.PinnedAt.Equal(ts) ||
			!got.KeyChangedAt.Equal(ts.Add(time.Hour)) || string(got.SigningKey) != "sk" {
			t.Errorf("Contact = %+v", got)
		}
		all, err := tx.Contacts()
		if len(all) != 2 || all[0].AccountID != c.AccountID || all[1].Handle != "@mallory" {
			t.Errorf("Contacts = %+v, %v", all, err)
		}
		return nil
	})
	update(t, v, func(tx *Tx) error { return tx.DeleteContact(other.AccountID) })
	view(t, v, func(tx *Tx) error {
		if _, err := tx.Contact(other.AccountID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted contact: %v", err)
		}
		if err := tx.DeleteContact(other.AccountID); !errors.Is(err, ErrReadOnly) {
			t.Errorf("delete in View: %v", err)
		}
		return nil
	})
}

func TestSettings(t *testing.T) {
	v, _ := newVault(t)
	update(t, v, func(tx *Tx) error {
		for _, s := range []struct {
			name  string
			value []byte
		}{{"theme", []byte("dark")}, {"empty", nil}, {"theme", []byte("light")}} {
			if err := tx.PutSetting(s.name, s.value); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name string
		want []byte
		err  error
	}{
		{"theme", []byte("light"), nil},
		{"empty", []byte{}, nil},
		{"Theme", nil, ErrNotFound},
		{"", nil, ErrNotFound},
	}
	for _, tt := range tests {
		got, err := v.Setting(t.Context(), tt.name)
		if !errors.Is(err, tt.err) || !bytes.Equal(got, tt.want) {
			t.Errorf("Setting(%q) = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
	if err := v.PutSetting(t.Context(), "", []byte("x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty name: %v", err)
	}
	update(t, v, func(tx *Tx) error { return tx.DeleteSetting("theme") })
	if _, err := v.Setting(t.Context(), "theme"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted setting: %v", err)
	}
	if err := v.Update(t.Context(), func(tx *Tx) error { return tx.DeleteSetting("theme") }); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

func TestChats(t *testing.T) {
	v, _ := newVault(t)
	m1, m2, m3 := newID(t), newID(t), newID(t)
	older := Chat{ID: newID(t), Kind: policy.KindGroup, Title: "older", LastActivity: ts, Unread: 3, Muted: true, Extra: []byte{9},
		Members: []Member{{m1, policy.RoleOwner}, {m2, policy.RoleMember}}}
	newer := Chat{ID: newID(t), Kind: policy.KindDirect, Title: "newer", LastActivity: ts.Add(time.Minute)}
	pinned := Chat{ID: newID(t), Kind: policy.KindChannel, Title: "pinned", LastActivity: ts.Add(-time.Hour), Pinned: true}
	secret := Chat{ID: newID(t), Kind: policy.KindSecret, Title: "secret"}
	update(t, v, func(tx *Tx) error {
		for _, c := range []Chat{older, newer, pinned, secret} {
			if err := tx.PutChat(c); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, v, func(tx *Tx) error {
		all, err := tx.Chats()
		if err != nil {
			return err
		}
		var titles []string
		for _, c := range all {
			titles = append(titles, c.Title)
		}
		if want := []string{"pinned", "newer", "older", "secret"}; !slices.Equal(titles, want) {
			t.Errorf("Chats order = %v, want %v", titles, want)
		}
		got := all[2]
		if got.Kind != policy.KindGroup || got.Unread != 3 || !got.Muted || !bytes.Equal(got.Extra, []byte{9}) ||
			!got.LastActivity.Equal(ts) || !slices.Equal(got.Members, older.Members) {
			t.Errorf("chat = %+v", got)
		}
		return nil
	})
	// Change one role, drop one member, add one.
	older.Members = []Member{{m1, policy.RoleOwner}, {m3, policy.RoleAdmin}}
	older.Title = "renamed"
	update(t, v, func(tx *Tx) error { return tx.PutChat(older) })
	view(t, v, func(tx *Tx) error {
		got, err := tx.Chat(older.ID)
		if err != nil {
			return err
		}
		if got.Title != "renamed" || !slices.Equal(got.Members, older.Members) {
			t.Errorf("Chat = %+v", got)
		}
		return nil
	})

	bad := []Chat{
		{Kind: policy.KindDirect},
		{ID: newID(t)},
		{ID: newID(t), Kind: 9},
		{ID: newID(t), Kind: policy.KindGroup, Unread: -1},
		{ID: newID(t), Kind: policy.KindGroup, Members: []Member{{m1, 0}}},
		{ID: newID(t), Kind: policy.KindGroup, Members: []Member{{[16]byte{}, policy.RoleMember}}},
		{ID: newID(t), Kind: policy.KindGroup, Members: []Member{{m1, policy.RoleMember}, {m1, policy.RoleAdmin}}},
		{ID: newID(t), Kind: policy.KindGroup, Title: "\xff"},
	}
	for _, c := range bad {
		if err := v.Update(t.Context(), func(tx *Tx) error { return tx.PutChat(c) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutChat(%+v) = %v, want ErrInvalid", c, err)
		}
	}
}

func TestUpdateChatLeavesMembers(t *testing.T) {
	v, _ := newVault(t)
	m1, m2 := newID(t), newID(t)
	c := Chat{ID: newID(t), Kind: policy.KindGroup, Title: "group", LastActivity: ts, Members: []Member{{m1, policy.RoleOwner}, {m2, policy.RoleMember}}}
	update(t, v, func(tx *Tx) error { return tx.PutChat(c) })
	// Everything but the members changes; the members given are ignored.
	changed := Chat{ID: c.ID, Kind: policy.KindChannel, Title: "renamed", LastActivity: ts.Add(time.Hour), Pinned: true, Muted: true,
		Unread: 7, Extra: []byte{1, 2}, Members: []Member{{newID(t), policy.RoleAdmin}}}
	update(t, v, func(tx *Tx) error { return tx.UpdateChat(changed) })
	view(t, v, func(tx *Tx) error {
		got, err := tx.Chat(c.ID)
		if err != nil {
			return err
		}
		want := changed
		want.Members = c.Members
		if got.Kind != want.Kind || got.Title != want.Title || !got.LastActivity.Equal(want.LastActivity) || got.Pinned != want.Pinned ||
			got.Muted != want.Muted || got.Unread != want.Unread || !bytes.Equal(got.Extra, want.Extra) || !slices.Equal(got.Members, want.Members) {
			t.Errorf("after UpdateChat: %+v\nwant %+v", got, want)
		}
		all, err := tx.Chats()
		if err != nil || len(all) != 1 || !all[0].Pinned {
			t.Errorf("Chats after UpdateChat: %+v, %v (pinned and activity are clear columns)", all, err)
		}
		return nil
	})
	for _, tt := range []struct {
		c    Chat
		want error
	}{
		{Chat{ID: newID(t), Kind: policy.KindGroup}, ErrNotFound},
		{Chat{ID: c.ID}, ErrInvalid},
		{Chat{ID: c.ID, Kind: policy.KindGroup, Unread: -1}, ErrInvalid},
		{Chat{ID: c.ID, Kind: policy.KindGroup, Title: "\xff"}, ErrInvalid},
	} {
		if err := v.Update(t.Context(), func(tx *Tx) error { return tx.UpdateChat(tt.c) }); !errors.Is(err, tt.want) {
			t.Errorf("UpdateChat(%+v) = %v, want %v", tt.c, err, tt.want)
		}
	}
	if err := v.View(t.Context(), func(tx *Tx) error { return tx.UpdateChat(c) }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("UpdateChat in a View = %v", err)
	}
}

func TestDraftsAndEpochKeys(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	update(t, v, func(tx *Tx) error {
		if err := tx.PutDraft(chat, "half a thought"); err != nil {
			return err
		}
		for epoch, key := range []string{"k0", "k1", "k2"} {
			if err := tx.PutEpochKey(chat, uint64(epoch), []byte(key)); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, v, func(tx *Tx) error {
		if d, err := tx.Draft(chat); err != nil || d != "half a thought" {
			t.Errorf("Draft = %q, %v", d, err)
		}
		if e, err := tx.LatestEpoch(chat); err != nil || e != 2 {
			t.Errorf("LatestEpoch = %d, %v", e, err)
		}
		if k, err := tx.EpochKey(chat, 1); err != nil || string(k) != "k1" {
			t.Errorf("EpochKey(1) = %q, %v", k, err)
		}
		if _, err := tx.EpochKey(chat, 7); !errors.Is(err, ErrNotFound) {
			t.Errorf("EpochKey(7) = %v", err)
		}
		if _, err := tx.LatestEpoch(newID(t)); !errors.Is(err, ErrNotFound) {
			t.Errorf("LatestEpoch(unknown) = %v", err)
		}
		return nil
	})
	// Epoch keys are write-once.
	if err := v.Update(t.Context(), func(tx *Tx) error { return tx.PutEpochKey(chat, 1, []byte("evil")) }); !errors.Is(err, ErrExists) {
		t.Errorf("second key for epoch 1 = %v, want ErrExists", err)
	}
	view(t, v, func(tx *Tx) error {
		if k, _ := tx.EpochKey(chat, 1); string(k) != "k1" {
			t.Errorf("epoch key replaced: %q", k)
		}
		return nil
	})
	for _, fn := range []func(tx *Tx) error{
		func(tx *Tx) error { return tx.PutEpochKey(newID(t), 0, []byte("k")) },
		func(tx *Tx) error { return tx.PutDraft(newID(t), "x") },
	} {
		if err := v.Update(t.Context(), fn); !errors.Is(err, ErrNotFound) {
			t.Errorf("write for unknown chat = %v, want ErrNotFound", err)
		}
	}
	if err := v.Update(t.Context(), func(tx *Tx) error { return tx.PutEpochKey(chat, 1<<63, []byte("k")) }); !errors.Is(err, ErrInvalid) {
		t.Errorf("epoch 2^63 = %v, want ErrInvalid", err)
	}
	update(t, v, func(tx *Tx) error { return tx.PutDraft(chat, "") })
	view(t, v, func(tx *Tx) error {
		if _, err := tx.Draft(chat); !errors.Is(err, ErrNotFound) {
			t.Errorf("cleared draft: %v", err)
		}
		return nil
	})
}

func TestCursorsSessionsPrekeys(t *testing.T) {
	v, _ := newVault(t)
	peer, prekey := newID(t), newID(t)
	update(t, v, func(tx *Tx) error {
		if err := tx.SetCursor("account", 41); err != nil {
			return err
		}
		if err := tx.SetCursor("account", 42); err != nil {
			return err
		}
		if err := tx.PutSession(peer, []byte("ratchet")); err != nil {
			return err
		}
		return tx.PutPrekey(prekey, []byte("private"))
	})
	view(t, v, func(tx *Tx) error {
		if c, err := tx.Cursor("account"); err != nil || c != 42 {
			t.Errorf("Cursor = %d, %v", c, err)
		}
		if c, err := tx.Cursor("chat:unknown"); err != nil || c != 0 {
			t.Errorf("absent Cursor = %d, %v", c, err)
		}
		if s, err := tx.Session(peer); err != nil || string(s) != "ratchet" {
			t.Errorf("Session = %q, %v", s, err)
		}
		if p, err := tx.Prekey(prekey); err != nil || string(p) != "private" {
			t.Errorf("Prekey = %q, %v", p, err)
		}
		return nil
	})
	update(t, v, func(tx *Tx) error {
		if err := tx.DeleteSession(peer); err != nil {
			return err
		}
		return tx.DeletePrekey(prekey)
	})
	view(t, v, func(tx *Tx) error {
		if _, err := tx.Session(peer); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted session: %v", err)
		}
		if _, err := tx.Prekey(prekey); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted prekey: %v", err)
		}
		return nil
	})
	for _, fn := range []func(tx *Tx) error{
		func(tx *Tx) error { return tx.SetCursor("", 1) },
		func(tx *Tx) error { return tx.SetCursor("x", -1) },
		func(tx *Tx) error { return tx.PutSession([16]byte{}, []byte("s")) },
		func(tx *Tx) error { return tx.PutSession(peer, nil) },
		func(tx *Tx) error { return tx.PutPrekey(prekey, nil) },
	} {
		if err := v.Update(t.Context(), fn); !errors.Is(err, ErrInvalid) {
			t.Errorf("invalid write = %v, want ErrInvalid", err)
		}
	}
}

func TestMessagesInsertIsIdempotent(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	reply := ids.New[ids.Message]()
	m := Message{ID: newID(t), ChatID: chat, Seq: 7, SenderAccount: newID(t), SenderDevice: newID(t), SentAt: ts,
		Body: "hello", ReplyTo: &reply, Status: policy.StatusDelivered, EditedAt: ts.Add(time.Second), Extra: []byte("x")}
	if err := v.InsertMessage(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	dup := m
	dup.Body = "changed"
	dup.Seq = 8
	if err := v.InsertMessage(t.Context(), dup); !errors.Is(err, ErrExists) {
		t.Fatalf("second insert = %v, want ErrExists", err)
	}
	view(t, v, func(tx *Tx) error {
		got, err := tx.Message(m.ID)
		if err != nil {
			return err
		}
		if got.Body != "hello" || got.Seq != 7 || got.ReplyTo == nil || *got.ReplyTo != reply || got.Status != policy.StatusDelivered ||
			got.SenderAccount != m.SenderAccount || got.SenderDevice != m.SenderDevice || !got.SentAt.Equal(ts) ||
			!got.EditedAt.Equal(m.EditedAt) || string(got.Extra) != "x" || got.ChatID != chat {
			t.Errorf("Message = %+v, want %+v", got, m)
		}
		return nil
	})
	if err := v.InsertMessage(t.Context(), pendingMessage(t, newID(t), "orphan")); !errors.Is(err, ErrNotFound) {
		t.Errorf("message for unknown chat = %v, want ErrNotFound", err)
	}
	for _, bad := range []Message{
		{ChatID: chat, Status: policy.StatusSent},
		{ID: newID(t), Status: policy.StatusSent},
		{ID: newID(t), ChatID: chat},
		{ID: newID(t), ChatID: chat, Status: 6},
		{ID: newID(t), ChatID: chat, Status: policy.StatusSent, Seq: -1},
		{ID: newID(t), ChatID: chat, Status: policy.StatusSent, Body: "\xc3"},
		{ID: newID(t), ChatID: chat, Status: policy.StatusSent, ReplyTo: &ids.Message{}},
	} {
		if err := v.InsertMessage(t.Context(), bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("InsertMessage(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestMessagesUpdateAndSeq(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	m := pendingMessage(t, chat, "draft text")
	update(t, v, func(tx *Tx) error { return tx.InsertMessage(m) })
	m.Body, m.Status, m.EditedAt = "edited", policy.StatusSent, ts
	update(t, v, func(tx *Tx) error {
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		return tx.SetMessageSeq(m.ID, 99)
	})
	view(t, v, func(tx *Tx) error {
		got, err := tx.Message(m.ID)
		if err != nil {
			return err
		}
		if got.Body != "edited" || got.Status != policy.StatusSent || got.Seq != 99 || got.ReplyTo != nil {
			t.Errorf("Message = %+v", got)
		}
		return nil
	})
	other := m
	other.ChatID = newChat(t, v)
	for name, fn := range map[string]func(tx *Tx) error{
		"update in another chat": func(tx *Tx) error { return tx.UpdateMessage(other) },
		"update unknown":         func(tx *Tx) error { return tx.UpdateMessage(pendingMessage(t, chat, "x")) },
		"seq of unknown":         func(tx *Tx) error { return tx.SetMessageSeq(newID(t), 1) },
		"delete unknown":         func(tx *Tx) error { return tx.DeleteMessage(newID(t)) },
	} {
		if err := v.Update(t.Context(), fn); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound", name, err)
		}
	}
}

func bodies(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func TestMessagesPagination(t *testing.T) {
	v, _ := newVault(t)
	chat, otherChat := newChat(t, v), newChat(t, v)
	// Relayed messages arrive out of order; pending ones are written in
	// between; one pending message later gets its sequence number.
	var late Message
	update(t, v, func(tx *Tx) error {
		insert := func(body string, seq int64) Message {
			m := pendingMessage(t, chat, body)
			m.Seq = seq
			if seq > 0 {
				m.Status = policy.StatusSent
			}
			if err := tx.InsertMessage(m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		insert("s3", 3)
		insert("p1", 0)
		insert("s1", 1)
		late = insert("p2->s5", 0)
		insert("s2", 2)
		insert("p3", 0)
		insert("s4", 4)
		insert("p4", 0)
		o := pendingMessage(t, otherChat, "other chat")
		return tx.InsertMessage(o)
	})
	check := func(want []string) {
		t.Helper()
		var got []string
		var cur PageCursor
		for page := 0; ; page++ {
			ms, next, err := v.Messages(t.Context(), chat, cur, 3)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, bodies(ms)...)
			if len(ms) < 3 {
				break
			}
			if page > 10 {
				t.Fatal("pagination does not end")
			}
			cur = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages = %v\nwant    %v", got, want)
		}
	}
	check([]string{"p4", "p3", "p2->s5", "p1", "s4", "s3", "s2", "s1"})
	update(t, v, func(tx *Tx) error { return tx.SetMessageSeq(late.ID, 5) })
	check([]string{"p4", "p3", "p1", "p2->s5", "s4", "s3", "s2", "s1"})

	// A page exactly at the end, then an empty one.
	ms, next, err := v.Messages(t.Context(), chat, PageCursor{}, 8)
	if err != nil || len(ms) != 8 {
		t.Fatalf("full page = %d, %v", len(ms), err)
	}
	ms, _, err = v.Messages(t.Context(), chat, next, 8)
	if err != nil || len(ms) != 0 {
		t.Fatalf("page after the end = %v, %v", bodies(ms), err)
	}
	if _, _, err := v.Messages(t.Context(), chat, PageCursor{}, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("limit 0 = %v, want ErrInvalid", err)
	}
}

func TestMessagesPageUsesIndex(t *testing.T) {
	v, _ := newVault(t)
	rows, err := v.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN SELECT id, seq, pending, local_seq, data FROM messages
		WHERE chat_tag = ?1 AND (pending, seq, local_seq) < (?3, ?4, ?5)
		ORDER BY pending DESC, seq DESC, local_seq DESC LIMIT ?2`, []byte("x"), 1, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	joined := strings.Join(plan, "; ")
	t.Log(joined)
	if !strings.Contains(joined, "messages_by_page") || strings.Contains(joined, "TEMP B-TREE") {
		t.Errorf("page query plan = %q, want an index walk of messages_by_page without a sort", joined)
	}
}

func TestMessageTooLarge(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	m := pendingMessage(t, chat, strings.Repeat("a", maxRecordSize))
	if err := v.InsertMessage(t.Context(), m); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized message = %v, want ErrTooLarge", err)
	}
	m.Body = strings.Repeat("a", maxRecordSize-1024)
	if err := v.InsertMessage(t.Context(), m); err != nil {
		t.Fatalf("message just under the limit: %v", err)
	}
}

func TestDeleteMessageCascades(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	doomed, kept := pendingMessage(t, chat, "doomed"), pendingMessage(t, chat, "kept")
	a1 := Attachment{ID: newID(t), MessageID: doomed.ID, FileKey: []byte("fk1"), Name: "a.jpg", MIME: "image/jpeg", Size: 10}
	a2 := Attachment{ID: newID(t), MessageID: doomed.ID, FileKey: []byte("fk2"), Name: "b.pdf", MIME: "application/pdf", Size: 20}
	a3 := Attachment{ID: newID(t), MessageID: kept.ID, FileKey: []byte("fk3"), Name: "c.txt"}
	update(t, v, func(tx *Tx) error {
		for _, m := range []Message{doomed, kept} {
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
			if err := tx.PutTimer(m.ID, ts); err != nil {
				return err
			}
		}
		for _, a := range []Attachment{a1, a2, a3} {
			if err := tx.PutAttachment(a); err != nil {
				return err
			}
		}
		// A search token, as the indexer will write it.
		_, err := tx.exec(`INSERT INTO search_index (token, message_id) VALUES (?1, ?2)`, make([]byte, 32), doomed.ID[:])
		return err
	})
	view(t, v, func(tx *Tx) error {
		got, err := tx.AttachmentsOf(doomed.ID)
		if err != nil {
			return err
		}
		if len(got) != 2 || !attachmentEqual(got[0], a1) || !attachmentEqual(got[1], a2) {
			t.Errorf("AttachmentsOf = %+v", got)
		}
		one, err := tx.Attachment(a3.ID)
		if err != nil || !attachmentEqual(one, a3) {
			t.Errorf("Attachment = %+v, %v", one, err)
		}
		return nil
	})
	update(t, v, func(tx *Tx) error { return tx.DeleteMessage(doomed.ID) })
	count := func(q string, args ...any) int {
		var n int
		if err := v.db.QueryRowContext(t.Context(), q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM attachments WHERE message_id = ?1`, doomed.ID[:]); n != 0 {
		t.Errorf("%d attachments survived their message", n)
	}
	if n := count(`SELECT count(*) FROM timers WHERE message_id = ?1`, doomed.ID[:]); n != 0 {
		t.Errorf("timer survived its message")
	}
	if n := count(`SELECT count(*) FROM search_index`); n != 0 {
		t.Errorf("search token survived its message")
	}
	if n := count(`SELECT count(*) FROM attachments`); n != 1 {
		t.Errorf("%d attachments left, want the kept message's one", n)
	}
	view(t, v, func(tx *Tx) error {
		if _, err := tx.Attachment(a1.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("attachment of a deleted message: %v", err)
		}
		due, err := tx.DueTimers(ts)
		if err != nil || len(due) != 1 || due[0] != kept.ID {
			t.Errorf("DueTimers = %v, %v", due, err)
		}
		return nil
	})
	if err := v.Update(t.Context(), func(tx *Tx) error {
		return tx.PutAttachment(Attachment{ID: newID(t), MessageID: doomed.ID})
	}); !errors.Is(err, ErrNotFound) {
		t.Errorf("attachment for a deleted message = %v, want ErrNotFound", err)
	}

	// Deleting the chat takes everything else with it.
	update(t, v, func(tx *Tx) error {
		if err := tx.PutDraft(chat, "d"); err != nil {
			return err
		}
		if err := tx.PutEpochKey(chat, 0, []byte("k")); err != nil {
			return err
		}
		if err := tx.Enqueue(OutboxItem{ID: newID(t), ChatID: chat, Payload: []byte("p")}); err != nil {
			return err
		}
		if err := tx.PutLogRecord(chat, 0, []byte("log")); err != nil {
			return err
		}
		return tx.DeleteChat(chat)
	})
	for _, table := range []string{"messages", "attachments", "timers", "drafts", "epoch_keys", "outbox", "chat_members", "chats", "membership_log"} {
		if n := count(`SELECT count(*) FROM ` + table); n != 0 {
			t.Errorf("%d rows left in %s after DeleteChat", n, table)
		}
	}
}

func attachmentEqual(a, b Attachment) bool {
	return a.ID == b.ID && a.MessageID == b.MessageID && bytes.Equal(a.FileKey, b.FileKey) &&
		a.Name == b.Name && a.MIME == b.MIME && a.Size == b.Size
}

func TestDueTimers(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	view(t, v, func(tx *Tx) error {
		if _, ok, err := tx.NextTimer(); ok || err != nil {
			t.Errorf("NextTimer with none set: %v, %v", ok, err)
		}
		return nil
	})
	var due5 []ids.Message
	update(t, v, func(tx *Tx) error {
		for i := range 5 {
			m := pendingMessage(t, chat, "m")
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
			// Expiries 4, 3, 2, 1, 0 minutes after ts.
			if err := tx.PutTimer(m.ID, ts.Add(time.Duration(4-i)*time.Minute)); err != nil {
				return err
			}
			due5 = append(due5, m.ID)
		}
		return nil
	})
	view(t, v, func(tx *Tx) error {
		if at, ok, err := tx.NextTimer(); !ok || err != nil || !at.Equal(ts) {
			t.Errorf("NextTimer = %v, %v, %v; want %v", at, ok, err, ts)
		}
		return nil
	})
	tests := []struct {
		now  time.Time
		want []ids.Message
	}{
		{ts.Add(-time.Nanosecond * 1000), nil},
		{ts, []ids.Message{due5[4]}},
		{ts.Add(2*time.Minute + time.Second), []ids.Message{due5[4], due5[3], due5[2]}},
		{ts.Add(time.Hour), []ids.Message{due5[4], due5[3], due5[2], due5[1], due5[0]}},
	}
	for _, tt := range tests {
		view(t, v, func(tx *Tx) error {
			got, err := tx.DueTimers(tt.now)
			if err != nil {
				return err
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("DueTimers(%v) = %v, want %v", tt.now, got, tt.want)
			}
			return nil
		})
	}
	// Moving a timer and cancelling one.
	update(t, v, func(tx *Tx) error {
		if err := tx.PutTimer(due5[0], ts.Add(-time.Minute)); err != nil {
			return err
		}
		return tx.DeleteTimer(due5[4])
	})
	view(t, v, func(tx *Tx) error {
		got, err := tx.DueTimers(ts)
		if err != nil || !slices.Equal(got, []ids.Message{due5[0]}) {
			t.Errorf("DueTimers after changes = %v, %v", got, err)
		}
		return nil
	})
	if err := v.Update(t.Context(), func(tx *Tx) error { return tx.DeleteTimer(due5[4]) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete missing timer = %v", err)
	}
	if err := v.Update(t.Context(), func(tx *Tx) error { return tx.PutTimer(newID(t), ts) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("timer for unknown message = %v", err)
	}
}

func TestDueTimersLimit(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	update(t, v, func(tx *Tx) error {
		for range MaxDueTimers + 5 {
			m := pendingMessage(t, chat, "")
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
			if err := tx.PutTimer(m.ID, ts); err != nil {
				return err
			}
		}
		return nil
	})
	var swept int
	for round := 0; ; round++ {
		var due []ids.Message
		update(t, v, func(tx *Tx) (err error) {
			if due, err = tx.DueTimers(ts); err != nil {
				return err
			}
			for _, id := range due {
				if err := tx.DeleteMessage(id); err != nil {
					return err
				}
			}
			return nil
		})
		if len(due) > MaxDueTimers {
			t.Fatalf("DueTimers returned %d, limit %d", len(due), MaxDueTimers)
		}
		swept += len(due)
		if len(due) < MaxDueTimers {
			break
		}
		if round > 3 {
			t.Fatal("sweep does not end")
		}
	}
	if swept != MaxDueTimers+5 {
		t.Errorf("swept %d, want %d", swept, MaxDueTimers+5)
	}
}

func TestOutbox(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	var items []OutboxItem
	for i := range 5 {
		item := OutboxItem{ID: newID(t), ChatID: chat, Payload: []byte{byte(i)}}
		if i == 2 {
			item.ChatID = [16]byte{} // an account-log record
		}
		items = append(items, item)
	}
	update(t, v, func(tx *Tx) error {
		for _, it := range items {
			if err := tx.Enqueue(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err := v.Update(t.Context(), func(tx *Tx) error { return tx.Enqueue(items[1]) }); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate Enqueue = %v, want ErrExists", err)
	}
	if err := v.Update(t.Context(), func(tx *Tx) error {
		return tx.Enqueue(OutboxItem{ID: newID(t), ChatID: newID(t)})
	}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Enqueue for unknown chat = %v, want ErrNotFound", err)
	}
	update(t, v, func(tx *Tx) error {
		if err := tx.RemoveOutbox(items[0].ID); err != nil {
			return err
		}
		return tx.RemoveOutbox(items[4].ID) // the newest: its rowid may be reused
	})
	late := OutboxItem{ID: newID(t), ChatID: chat, Payload: []byte("late")}
	update(t, v, func(tx *Tx) error { return tx.Enqueue(late) })
	view(t, v, func(tx *Tx) error {
		got, err := tx.Outbox(10)
		if err != nil {
			return err
		}
		want := []OutboxItem{items[1], items[2], items[3], late}
		if len(got) != len(want) {
			t.Fatalf("Outbox = %+v", got)
		}
		for i := range want {
			if got[i].ID != want[i].ID || got[i].ChatID != want[i].ChatID || !bytes.Equal(got[i].Payload, want[i].Payload) {
				t.Errorf("Outbox[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
		if first, err := tx.Outbox(1); err != nil || len(first) != 1 || first[0].ID != items[1].ID {
			t.Errorf("Outbox(1) = %+v, %v", first, err)
		}
		if _, err := tx.Outbox(0); !errors.Is(err, ErrInvalid) {
			t.Errorf("Outbox(0) = %v", err)
		}
		return nil
	})
	if err := v.Update(t.Context(), func(tx *Tx) error { return tx.RemoveOutbox(items[0].ID) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoveOutbox twice = %v, want ErrNotFound", err)
	}
}

// This file wrote vault.db.gz and contents.json next to it: a vault at schema
// version 1, written by the vault of commit f7bda20 (before the blind graph index),
// with data in every table. TestMigrateV1Fixture (vault/graphmigrate_test.go) opens a
// copy with the current code, which migrates it, and reads everything back.
//
// It is kept for the record and is not compiled here (Go ignores testdata). To
// write the fixture again, from a checkout of that commit:
//
//	cp <this file> vault/ && HUSH_V1_FIXTURE_DIR=$PWD/out go test -run TestGenerateV1Fixture ./vault/
//	gzip -9 -n out/vault.db
//
// The passphrase is testPassphrase and the key wrap uses the tests' small Argon2id
// parameters (64 KiB, 1 pass, 1 lane).

package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/policy"
)

// v1Contents is everything the fixture holds, as the vault's API returns it.
type v1Contents struct {
	Passphrase string
	// AccountPublic holds the own account's public keys (Ed25519, X25519), which
	// the vault itself never stores.
	AccountPublic [][]byte
	Accounts      []Account
	Devices       []Device
	Contacts      []Contact
	Chats         []Chat
	// DirectChat is the 1:1 chat's id, derived from the two accounts as package
	// chat derives it.
	DirectChat  ids.Chat
	Messages    []Message
	Attachments []Attachment
	Timers      []v1Timer
	Drafts      map[ids.Chat]string
	EpochKeys   []v1EpochKey
	Outbox      []OutboxItem
	Cursors     map[string]int64
	Settings    map[string][]byte
	Sessions    []v1Session
	Prekeys     []v1Prekey
	// SearchTokens is the number of search_index rows (written with raw SQL: the
	// vault has no API for them yet).
	SearchTokens int
}

type v1Timer struct {
	Message   ids.Message
	ExpiresAt time.Time
}

type v1EpochKey struct {
	Chat  ids.Chat
	Epoch uint64
	Key   []byte
}

type v1Session struct {
	Peer  ids.Device
	State []byte
}

type v1Prekey struct {
	ID      ids.Prekey
	Private []byte
}

// v1DirectChatID is chat.directChatID of commit f7bda20.
func v1DirectChatID(a, b ids.Account) ids.Chat {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	h := sha256.New()
	h.Write([]byte("hush/v1/direct-chat-id"))
	h.Write(a[:])
	h.Write(b[:])
	var id ids.Chat
	copy(id[:], h.Sum(nil))
	return id
}

func TestGenerateV1Fixture(t *testing.T) {
	dir := os.Getenv("HUSH_V1_FIXTURE_DIR")
	if dir == "" {
		t.Skip("HUSH_V1_FIXTURE_DIR not set")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "vault.db")
	v, err := Create(t.Context(), path, []byte(testPassphrase), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	at := func(min int) time.Time { return time.Date(2025, 6, 1, 12, min, 0, 123_000, time.UTC) }
	must := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	ownKey, _ := identity.NewAccountKey()
	bobKey, _ := identity.NewAccountKey()
	carolKey, _ := identity.NewAccountKey()
	daveKey, _ := identity.NewAccountKey()
	ownSign, ownEnc := ownKey.Seeds()
	c := v1Contents{Passphrase: testPassphrase, Drafts: map[ids.Chat]string{},
		Cursors: map[string]int64{}, Settings: map[string][]byte{}}
	c.AccountPublic = [][]byte{ownKey.Public().SigningKey(), ownKey.Public().EncryptionKey().Bytes()}
	c.Accounts = []Account{{ID: ownKey.ID(), DisplayName: "Ada", Handle: "@ada", SigningSeed: ownSign,
		EncryptionKey: ownEnc, CreatedAt: at(0)}}

	device := func(owner *identity.AccountKey, name string, own, revoked bool, created time.Time) Device {
		k, _ := identity.NewDeviceKey()
		d := Device{ID: k.ID(), AccountID: owner.ID(), Name: name,
			SigningPublic: k.Public().SigningKey(), EncryptionPublic: k.Public().EncryptionKey().Bytes(),
			Certificate: must(identity.IssueCertificate(owner, k.Public(), created)),
			Own:         own, Revoked: revoked, CreatedAt: created}
		if own {
			d.SigningSeed, d.EncryptionKey = k.Seeds()
		}
		return d
	}
	c.Devices = []Device{
		device(ownKey, "laptop", true, false, at(1)),
		device(bobKey, "phone", false, false, at(2)),
		device(bobKey, "old phone", false, true, at(3)),
		device(carolKey, "desktop", false, false, at(4)),
		device(daveKey, "tablet", false, false, at(5)),
	}
	contact := func(k *identity.AccountKey, handle, name string, verified bool, pinned time.Time) Contact {
		return Contact{AccountID: k.ID(), Handle: handle, DisplayName: name,
			SigningKey: k.Public().SigningKey(), EncryptionKey: k.Public().EncryptionKey().Bytes(),
			PinnedAt: pinned, KeyChangedAt: pinned.Add(time.Hour), Verified: verified}
	}
	c.Contacts = []Contact{
		contact(bobKey, "@bob", "Bob", true, at(6)),
		contact(carolKey, "@carol", "Carol", false, at(7)),
		contact(daveKey, "@dave", "Dave", false, at(8)),
	}

	c.DirectChat = v1DirectChatID(ownKey.ID(), bobKey.ID())
	group, channel, secret := ids.New[ids.Chat](), ids.New[ids.Chat](), ids.New[ids.Chat]()
	c.Chats = []Chat{
		{ID: c.DirectChat, Kind: policy.KindDirect, LastActivity: at(30), Unread: 1, Members: []Member{
			{AccountID: ownKey.ID(), Role: policy.RoleMember}, {AccountID: bobKey.ID(), Role: policy.RoleMember}}},
		{ID: group, Kind: policy.KindGroup, Title: "Climbing", LastActivity: at(31), Pinned: true, Muted: true,
			Unread: 3, Extra: []byte{0xa1, 0x01, 0x02}, Members: []Member{
				{AccountID: ownKey.ID(), Role: policy.RoleOwner}, {AccountID: bobKey.ID(), Role: policy.RoleAdmin},
				{AccountID: carolKey.ID(), Role: policy.RoleMember}}},
		{ID: channel, Kind: policy.KindChannel, Title: "News", LastActivity: at(29), Members: []Member{
			{AccountID: ownKey.ID(), Role: policy.RoleOwner}, {AccountID: carolKey.ID(), Role: policy.RoleMember},
			{AccountID: daveKey.ID(), Role: policy.RoleMember}}},
		{ID: secret, Kind: policy.KindSecret, Title: "empty"},
	}

	msg := func(chat ids.Chat, seq int64, from Device, body string, min int, status policy.Status) Message {
		return Message{ID: ids.New[ids.Message](), ChatID: chat, Seq: seq, SenderAccount: from.AccountID,
			SenderDevice: from.ID, SentAt: at(min), Body: body, Status: status}
	}
	own, bob, carol := c.Devices[0], c.Devices[1], c.Devices[3]
	d1 := msg(c.DirectChat, 1, bob, "hi Ada", 10, policy.StatusDelivered)
	d2 := msg(c.DirectChat, 2, own, "hi Bob", 11, policy.StatusRead)
	d2.ReplyTo = &d1.ID
	d2.EditedAt = at(12)
	d3 := msg(c.DirectChat, 0, own, "pending one", 13, policy.StatusPending)
	g1 := msg(group, 7, carol, "who's in on Saturday?", 14, policy.StatusDelivered)
	g1.Extra = []byte{0xa1, 0x04, 0x61, 0x2b}
	g2 := msg(group, 8, own, "me", 15, policy.StatusSent)
	g3 := msg(group, 0, own, "failed one", 16, policy.StatusFailed)
	k1 := msg(channel, 1, own, "first post", 17, policy.StatusSent)
	c.Messages = []Message{d1, d2, d3, g1, g2, g3, k1}
	c.Attachments = []Attachment{
		{ID: ids.New[ids.File](), MessageID: g1.ID, FileKey: bytes.Repeat([]byte{0xf1}, 32), Name: "crag.jpg", MIME: "image/jpeg", Size: 123_456},
		{ID: ids.New[ids.File](), MessageID: g1.ID, FileKey: bytes.Repeat([]byte{0xf2}, 32), Name: "topo.pdf", MIME: "application/pdf", Size: 7_890},
	}
	c.Timers = []v1Timer{{Message: d1.ID, ExpiresAt: at(40)}, {Message: k1.ID, ExpiresAt: at(41)}}
	c.Drafts[c.DirectChat] = "see you"
	c.Drafts[group] = "bring the rope"
	c.EpochKeys = []v1EpochKey{
		{Chat: c.DirectChat, Epoch: 0, Key: bytes.Repeat([]byte{0xe0}, 32)},
		{Chat: c.DirectChat, Epoch: 1, Key: bytes.Repeat([]byte{0xe1}, 32)},
		{Chat: group, Epoch: 0, Key: bytes.Repeat([]byte{0xe2}, 32)},
		{Chat: channel, Epoch: 5, Key: bytes.Repeat([]byte{0xe3}, 32)},
	}
	c.Outbox = []OutboxItem{
		{ID: d3.ID, ChatID: c.DirectChat, Payload: []byte("sealed d3")},
		{ID: ids.New[ids.Message](), Payload: []byte("account log record")},
		{ID: g3.ID, ChatID: group, Payload: []byte("sealed g3")},
	}
	c.Cursors["account"] = 12
	c.Cursors["chat:"+group.String()] = 8
	c.Settings["theme"] = []byte("dark")
	c.Settings["notifications"] = []byte{1}
	c.Sessions = []v1Session{{Peer: bob.ID, State: []byte("ratchet with bob")}, {Peer: carol.ID, State: []byte("ratchet with carol")}}
	c.Prekeys = []v1Prekey{{ID: ids.New[ids.Prekey](), Private: bytes.Repeat([]byte{0x9a}, 32)},
		{ID: ids.New[ids.Prekey](), Private: bytes.Repeat([]byte{0x9b}, 32)}}
	c.SearchTokens = 2

	update(t, v, func(tx *Tx) error {
		steps := []func() error{}
		for _, a := range c.Accounts {
			steps = append(steps, func() error { return tx.PutAccount(a) })
		}
		for _, d := range c.Devices {
			steps = append(steps, func() error { return tx.PutDevice(d) })
		}
		for _, ct := range c.Contacts {
			steps = append(steps, func() error { return tx.PutContact(ct) })
		}
		for _, ch := range c.Chats {
			steps = append(steps, func() error { return tx.PutChat(ch) })
		}
		for _, m := range c.Messages {
			steps = append(steps, func() error { return tx.InsertMessage(m) })
		}
		for _, a := range c.Attachments {
			steps = append(steps, func() error { return tx.PutAttachment(a) })
		}
		for _, tm := range c.Timers {
			steps = append(steps, func() error { return tx.PutTimer(tm.Message, tm.ExpiresAt) })
		}
		for chat, text := range c.Drafts {
			steps = append(steps, func() error { return tx.PutDraft(chat, text) })
		}
		for _, k := range c.EpochKeys {
			steps = append(steps, func() error { return tx.PutEpochKey(k.Chat, k.Epoch, k.Key) })
		}
		for _, o := range c.Outbox {
			steps = append(steps, func() error { return tx.Enqueue(o) })
		}
		for scope, seq := range c.Cursors {
			steps = append(steps, func() error { return tx.SetCursor(scope, seq) })
		}
		for name, value := range c.Settings {
			steps = append(steps, func() error { return tx.PutSetting(name, value) })
		}
		for _, s := range c.Sessions {
			steps = append(steps, func() error { return tx.PutSession(s.Peer, s.State) })
		}
		for _, p := range c.Prekeys {
			steps = append(steps, func() error { return tx.PutPrekey(p.ID, p.Private) })
		}
		for i, m := range []Message{g1, g2} {
			steps = append(steps, func() error {
				_, err := tx.exec(`INSERT INTO search_index (token, message_id) VALUES (?1, ?2)`,
					bytes.Repeat([]byte{byte(i + 1)}, 32), m.ID[:])
				return err
			})
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "contents.json"), append(out, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
}

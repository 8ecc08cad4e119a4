package vaultbackup

import (
	"time"

	"hush/backup"
	"hush/ids"
	"hush/vault"
)

// Conversions between the vault's records and the backup's. Times travel as
// Unix microseconds, the vault's own precision.

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func accountOut(a vault.Account) *backup.Account {
	return &backup.Account{ID: a.ID, DisplayName: a.DisplayName, Handle: a.Handle, SigningSeed: a.SigningSeed,
		EncryptionKey: a.EncryptionKey, KEMSeed: a.KEMSeed, OtherKEMSeeds: a.OtherKEMSeeds, CreatedAt: micros(a.CreatedAt)}
}

func accountIn(a *backup.Account) vault.Account {
	return vault.Account{ID: a.ID, DisplayName: a.DisplayName, Handle: a.Handle, SigningSeed: a.SigningSeed,
		EncryptionKey: a.EncryptionKey, KEMSeed: a.KEMSeed, OtherKEMSeeds: a.OtherKEMSeeds, CreatedAt: fromMicros(a.CreatedAt)}
}

func deviceOut(d vault.Device) *backup.Device {
	return &backup.Device{ID: d.ID, AccountID: d.AccountID, Name: d.Name, SigningPublic: d.SigningPublic,
		EncryptionPublic: d.EncryptionPublic, SigningSeed: d.SigningSeed, EncryptionKey: d.EncryptionKey,
		Certificate: d.Certificate, Own: d.Own, Revoked: d.Revoked, CreatedAt: micros(d.CreatedAt)}
}

func deviceIn(d *backup.Device) vault.Device {
	return vault.Device{ID: d.ID, AccountID: d.AccountID, Name: d.Name, SigningPublic: d.SigningPublic,
		EncryptionPublic: d.EncryptionPublic, SigningSeed: d.SigningSeed, EncryptionKey: d.EncryptionKey,
		Certificate: d.Certificate, Own: d.Own, Revoked: d.Revoked, CreatedAt: fromMicros(d.CreatedAt)}
}

func contactOut(c vault.Contact) *backup.Contact {
	return &backup.Contact{AccountID: c.AccountID, Handle: c.Handle, DisplayName: c.DisplayName, SigningKey: c.SigningKey,
		EncryptionKey: c.EncryptionKey, KEMKey: c.KEMKey, PinnedAt: micros(c.PinnedAt), KeyChangedAt: micros(c.KeyChangedAt),
		Verified: c.Verified, Stranger: c.Stranger}
}

func contactIn(c *backup.Contact) vault.Contact {
	return vault.Contact{AccountID: c.AccountID, Handle: c.Handle, DisplayName: c.DisplayName, SigningKey: c.SigningKey,
		EncryptionKey: c.EncryptionKey, KEMKey: c.KEMKey, PinnedAt: fromMicros(c.PinnedAt), KeyChangedAt: fromMicros(c.KeyChangedAt),
		Verified: c.Verified, Stranger: c.Stranger}
}

func chatOut(c vault.Chat) *backup.Chat {
	out := &backup.Chat{ID: c.ID, Kind: c.Kind, Title: c.Title, LastActivity: micros(c.LastActivity),
		Pinned: c.Pinned, Muted: c.Muted, Unread: int64(c.Unread), Extra: c.Extra}
	for _, m := range c.Members {
		out.Members = append(out.Members, backup.Member{AccountID: m.AccountID, Role: m.Role})
	}
	return out
}

func chatIn(c *backup.Chat) vault.Chat {
	out := vault.Chat{ID: c.ID, Kind: c.Kind, Title: c.Title, LastActivity: fromMicros(c.LastActivity),
		Pinned: c.Pinned, Muted: c.Muted, Unread: int(c.Unread), Extra: c.Extra}
	for _, m := range c.Members {
		out.Members = append(out.Members, vault.Member{AccountID: m.AccountID, Role: m.Role})
	}
	return out
}

func messageOut(m vault.Message, expires time.Time) *backup.Message {
	out := &backup.Message{ID: m.ID, ChatID: m.ChatID, Seq: m.Seq, SenderAccount: m.SenderAccount,
		SenderDevice: m.SenderDevice, SentAt: micros(m.SentAt), Body: m.Body, Status: m.Status,
		EditedAt: micros(m.EditedAt), Extra: m.Extra, ExpiresAt: micros(expires)}
	if m.ReplyTo != nil {
		out.ReplyTo = *m.ReplyTo
	}
	return out
}

func messageIn(m *backup.Message) vault.Message {
	out := vault.Message{ID: m.ID, ChatID: m.ChatID, Seq: m.Seq, SenderAccount: m.SenderAccount,
		SenderDevice: m.SenderDevice, SentAt: fromMicros(m.SentAt), Body: m.Body, Status: m.Status,
		EditedAt: fromMicros(m.EditedAt), Extra: m.Extra}
	if !m.ReplyTo.IsZero() {
		reply := ids.Message(m.ReplyTo)
		out.ReplyTo = &reply
	}
	return out
}

func attachmentOut(a vault.Attachment) *backup.Attachment {
	return &backup.Attachment{ID: a.ID, MessageID: a.MessageID, FileKey: a.FileKey, Name: a.Name, MIME: a.MIME, Size: a.Size, Thumbnail: a.Thumbnail}
}

func attachmentIn(r *backup.Attachment) vault.Attachment {
	return vault.Attachment{ID: r.ID, MessageID: r.MessageID, FileKey: r.FileKey, Name: r.Name, MIME: r.MIME, Size: r.Size, Thumbnail: r.Thumbnail}
}

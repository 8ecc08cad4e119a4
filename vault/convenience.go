package vault

import (
	"context"
	"hush/ids"
)

// Setting reads one setting in its own read transaction; see [Tx.Setting].
func (v *Vault) Setting(ctx context.Context, name string) (value []byte, err error) {
	err = v.View(ctx, func(tx *Tx) error {
		value, err = tx.Setting(name)
		return err
	})
	return value, err
}

// PutSetting writes one setting in its own transaction; see [Tx.PutSetting].
func (v *Vault) PutSetting(ctx context.Context, name string, value []byte) error {
	return v.Update(ctx, func(tx *Tx) error { return tx.PutSetting(name, value) })
}

// InsertMessage stores one message in its own transaction; see
// [Tx.InsertMessage].
func (v *Vault) InsertMessage(ctx context.Context, m Message) error {
	return v.Update(ctx, func(tx *Tx) error { return tx.InsertMessage(m) })
}

// Messages reads one page in its own read transaction; see [Tx.Messages].
func (v *Vault) Messages(ctx context.Context, chatID ids.Chat, before PageCursor, limit int) (page []Message, next PageCursor, err error) {
	err = v.View(ctx, func(tx *Tx) error {
		page, next, err = tx.Messages(chatID, before, limit)
		return err
	})
	return page, next, err
}

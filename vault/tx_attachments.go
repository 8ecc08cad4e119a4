package vault

import "hush/ids"

// EachAttachment calls fn with every attachment of the vault, in the order they
// were first stored, for backups. The rows are read before fn runs, so fn may
// query the transaction (attachments are few: at most ten per message).
func (tx *Tx) EachAttachment(fn func(Attachment) error) error {
	if err := tx.begin(false); err != nil {
		return err
	}
	rows, err := tx.query(`SELECT id, message_id, data FROM attachments ORDER BY rowid`)
	if err != nil {
		return wrap("each attachment", err)
	}
	type sealed struct{ id, message, blob []byte }
	var all []sealed
	for rows.Next() {
		var s sealed
		if err := rows.Scan(&s.id, &s.message, &s.blob); err != nil {
			rows.Close()
			return wrap("each attachment", err)
		}
		all = append(all, s)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return wrap("each attachment", err)
	}
	for _, s := range all {
		id, err := idFrom[ids.File](s.id)
		if err != nil {
			return wrap("each attachment", err)
		}
		a, err := tx.attachment(id, s.message, s.blob)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

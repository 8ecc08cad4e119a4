package vault

import (
	"fmt"
	"hush/ids"
)

// PutAccount stores a, replacing the account with the same ID.
func (tx *Tx) PutAccount(a Account) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := requireID("account id", a.ID); err != nil {
		return err
	}
	if err := checkText("display name", a.DisplayName); err != nil {
		return err
	}
	if err := checkText("handle", a.Handle); err != nil {
		return err
	}
	tag := tx.accountTag(a.ID)
	blob, err := tx.seal(tableAccounts, tag, &accountRecord{
		DisplayName:   a.DisplayName,
		Handle:        a.Handle,
		SigningSeed:   a.SigningSeed,
		EncryptionKey: a.EncryptionKey,
		KEMSeed:       a.KEMSeed,
		OtherKEMSeeds: a.OtherKEMSeeds,
		CreatedAt:     micros(a.CreatedAt),
		ID:            a.ID,
	})
	if err != nil {
		return wrap("put account", err)
	}
	_, err = tx.exec(`INSERT INTO accounts (tag, data) VALUES (?1, ?2)
		ON CONFLICT (tag) DO UPDATE SET data = excluded.data`, tag, blob)
	return wrap("put account", err)
}

// Account returns the account with the given id, or ErrNotFound.
func (tx *Tx) Account(id ids.Account) (Account, error) {
	if err := tx.begin(false); err != nil {
		return Account{}, err
	}
	tag := tx.accountTag(id)
	var blob []byte
	err := tx.queryRow(`SELECT data FROM accounts WHERE tag = ?1`, tag).Scan(&blob)
	if notFound(err) {
		return Account{}, fmt.Errorf("vault: account %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Account{}, wrap("account", err)
	}
	a, err := tx.account(tag, blob)
	if err == nil && a.ID != id {
		err = wrap("account", fmt.Errorf("%w: account %s holds the record of %s", ErrCorrupt, id, a.ID))
	}
	return a, err
}

// account opens the row stored under tag.
func (tx *Tx) account(tag, blob []byte) (Account, error) {
	r, err := openRecord[accountRecord](tx, tableAccounts, tag, blob)
	if err != nil {
		return Account{}, wrap("account", err)
	}
	id, err := sealedID[ids.Account]("account", r.ID)
	if err != nil {
		return Account{}, wrap("account", err)
	}
	return Account{
		ID:            id,
		DisplayName:   r.DisplayName,
		Handle:        r.Handle,
		SigningSeed:   r.SigningSeed,
		EncryptionKey: r.EncryptionKey,
		KEMSeed:       r.KEMSeed,
		OtherKEMSeeds: r.OtherKEMSeeds,
		CreatedAt:     fromMicros(r.CreatedAt),
	}, nil
}

// Accounts returns every account in the order they were first stored.
func (tx *Tx) Accounts() ([]Account, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT tag, data FROM accounts ORDER BY rowid`)
	if err != nil {
		return nil, wrap("accounts", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var tag, blob []byte
		if err := rows.Scan(&tag, &blob); err != nil {
			return nil, wrap("accounts", err)
		}
		a, err := tx.account(tag, blob)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, wrap("accounts", rows.Err())
}

// PutDevice stores d, replacing the device with the same ID.
func (tx *Tx) PutDevice(d Device) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := requireID("device id", d.ID); err != nil {
		return err
	}
	if err := requireID("device account id", d.AccountID); err != nil {
		return err
	}
	if err := checkText("device name", d.Name); err != nil {
		return err
	}
	tag := tx.deviceTag(d.ID)
	blob, err := tx.seal(tableDevices, tag, &deviceRecord{
		Name:             d.Name,
		SigningPublic:    d.SigningPublic,
		EncryptionPublic: d.EncryptionPublic,
		SigningSeed:      d.SigningSeed,
		EncryptionKey:    d.EncryptionKey,
		Certificate:      d.Certificate,
		Own:              d.Own,
		Revoked:          d.Revoked,
		CreatedAt:        micros(d.CreatedAt),
		ID:               d.ID,
		AccountID:        d.AccountID,
	})
	if err != nil {
		return wrap("put device", err)
	}
	_, err = tx.exec(`INSERT INTO devices (tag, owner_tag, data) VALUES (?1, ?2, ?3)
		ON CONFLICT (tag) DO UPDATE SET owner_tag = excluded.owner_tag, data = excluded.data`,
		tag, tx.ownerTag(d.AccountID), blob)
	return wrap("put device", err)
}

// Device returns the device with the given id, or ErrNotFound.
func (tx *Tx) Device(id ids.Device) (Device, error) {
	if err := tx.begin(false); err != nil {
		return Device{}, err
	}
	tag := tx.deviceTag(id)
	var owner, blob []byte
	err := tx.queryRow(`SELECT owner_tag, data FROM devices WHERE tag = ?1`, tag).Scan(&owner, &blob)
	if notFound(err) {
		return Device{}, fmt.Errorf("vault: device %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Device{}, wrap("device", err)
	}
	d, err := tx.device(tag, owner, blob)
	if err == nil && d.ID != id {
		err = wrap("device", fmt.Errorf("%w: device %s holds the record of %s", ErrCorrupt, id, d.ID))
	}
	return d, err
}

// device opens the row stored under tag and checks that the row's clear
// owner tag is the one of the account sealed in it.
func (tx *Tx) device(tag, owner, blob []byte) (Device, error) {
	r, err := openRecord[deviceRecord](tx, tableDevices, tag, blob)
	if err != nil {
		return Device{}, wrap("device", err)
	}
	id, err := sealedID[ids.Device]("device", r.ID)
	if err != nil {
		return Device{}, wrap("device", err)
	}
	account, err := sealedID[ids.Account]("device account", r.AccountID)
	if err != nil {
		return Device{}, wrap("device", err)
	}
	if !sameTag(owner, tx.ownerTag(account)) {
		return Device{}, fmt.Errorf("vault: device %s: %w: stored under another account", id, ErrCorrupt)
	}
	return Device{
		ID:               id,
		AccountID:        account,
		Name:             r.Name,
		SigningPublic:    r.SigningPublic,
		EncryptionPublic: r.EncryptionPublic,
		SigningSeed:      r.SigningSeed,
		EncryptionKey:    r.EncryptionKey,
		Certificate:      r.Certificate,
		Own:              r.Own,
		Revoked:          r.Revoked,
		CreatedAt:        fromMicros(r.CreatedAt),
	}, nil
}

// DevicesOf returns the devices of an account (own or a contact's), in the
// order they were first stored.
func (tx *Tx) DevicesOf(accountID ids.Account) ([]Device, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT tag, owner_tag, data FROM devices WHERE owner_tag = ?1 ORDER BY rowid`, tx.ownerTag(accountID))
	if err != nil {
		return nil, wrap("devices", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var tag, owner, blob []byte
		if err := rows.Scan(&tag, &owner, &blob); err != nil {
			return nil, wrap("devices", err)
		}
		d, err := tx.device(tag, owner, blob)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, wrap("devices", rows.Err())
}

// PutContact stores c, replacing the contact with the same AccountID.
func (tx *Tx) PutContact(c Contact) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := requireID("contact account id", c.AccountID); err != nil {
		return err
	}
	if err := checkText("contact handle", c.Handle); err != nil {
		return err
	}
	if err := checkText("contact display name", c.DisplayName); err != nil {
		return err
	}
	tag := tx.contactTag(c.AccountID)
	blob, err := tx.seal(tableContacts, tag, &contactRecord{
		Handle:        c.Handle,
		DisplayName:   c.DisplayName,
		SigningKey:    c.SigningKey,
		EncryptionKey: c.EncryptionKey,
		PinnedAt:      micros(c.PinnedAt),
		KeyChangedAt:  micros(c.KeyChangedAt),
		Verified:      c.Verified,
		KEMKey:        c.KEMKey,
		Stranger:      c.Stranger,
		AccountID:     c.AccountID,
	})
	if err != nil {
		return wrap("put contact", err)
	}
	_, err = tx.exec(`INSERT INTO contacts (tag, data) VALUES (?1, ?2)
		ON CONFLICT (tag) DO UPDATE SET data = excluded.data`, tag, blob)
	return wrap("put contact", err)
}

// Contact returns the contact for an account id, or ErrNotFound.
func (tx *Tx) Contact(accountID ids.Account) (Contact, error) {
	if err := tx.begin(false); err != nil {
		return Contact{}, err
	}
	tag := tx.contactTag(accountID)
	var blob []byte
	err := tx.queryRow(`SELECT data FROM contacts WHERE tag = ?1`, tag).Scan(&blob)
	if notFound(err) {
		return Contact{}, fmt.Errorf("vault: contact %s: %w", accountID, ErrNotFound)
	}
	if err != nil {
		return Contact{}, wrap("contact", err)
	}
	c, err := tx.contact(tag, blob)
	if err == nil && c.AccountID != accountID {
		err = wrap("contact", fmt.Errorf("%w: contact %s holds the record of %s", ErrCorrupt, accountID, c.AccountID))
	}
	return c, err
}

// contact opens the row stored under tag.
func (tx *Tx) contact(tag, blob []byte) (Contact, error) {
	r, err := openRecord[contactRecord](tx, tableContacts, tag, blob)
	if err != nil {
		return Contact{}, wrap("contact", err)
	}
	id, err := sealedID[ids.Account]("contact account", r.AccountID)
	if err != nil {
		return Contact{}, wrap("contact", err)
	}
	return Contact{
		AccountID:     id,
		Handle:        r.Handle,
		DisplayName:   r.DisplayName,
		SigningKey:    r.SigningKey,
		EncryptionKey: r.EncryptionKey,
		PinnedAt:      fromMicros(r.PinnedAt),
		KeyChangedAt:  fromMicros(r.KeyChangedAt),
		Verified:      r.Verified,
		KEMKey:        r.KEMKey,
		Stranger:      r.Stranger,
	}, nil
}

// Contacts returns every contact in the order they were first stored (the
// names are sealed, so sorting by name is the caller's job).
func (tx *Tx) Contacts() ([]Contact, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT tag, data FROM contacts ORDER BY rowid`)
	if err != nil {
		return nil, wrap("contacts", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var tag, blob []byte
		if err := rows.Scan(&tag, &blob); err != nil {
			return nil, wrap("contacts", err)
		}
		c, err := tx.contact(tag, blob)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, wrap("contacts", rows.Err())
}

// DeleteContact removes a contact (its devices stay until deleted).
func (tx *Tx) DeleteContact(accountID ids.Account) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := tx.execOne(`DELETE FROM contacts WHERE tag = ?1`, tx.contactTag(accountID)); err != nil {
		return wrap("delete contact "+accountID.String(), err)
	}
	tx.wiped = true
	return nil
}

// PutSetting stores value under name. The name is stored only as a keyed
// lookup tag plus inside the sealed record, so neither name nor value is
// readable on disk.
func (tx *Tx) PutSetting(name string, value []byte) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("%w: empty setting name", ErrInvalid)
	}
	if err := checkText("setting name", name); err != nil {
		return err
	}
	tag := tx.lookupTag(tableSettings, name)
	blob, err := tx.seal(tableSettings, tag, &settingRecord{Name: name, Value: value})
	if err != nil {
		return wrap("put setting", err)
	}
	_, err = tx.exec(`INSERT INTO settings (name_tag, data) VALUES (?1, ?2)
		ON CONFLICT (name_tag) DO UPDATE SET data = excluded.data`, tag, blob)
	return wrap("put setting", err)
}

// Setting returns the value stored under name, or ErrNotFound.
func (tx *Tx) Setting(name string) ([]byte, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	tag := tx.lookupTag(tableSettings, name)
	var blob []byte
	err := tx.queryRow(`SELECT data FROM settings WHERE name_tag = ?1`, tag).Scan(&blob)
	if notFound(err) {
		return nil, fmt.Errorf("vault: setting %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, wrap("setting", err)
	}
	r, err := openRecord[settingRecord](tx, tableSettings, tag, blob)
	if err != nil {
		return nil, wrap("setting", err)
	}
	if r.Name != name {
		return nil, fmt.Errorf("vault: setting %q: %w: record names %q", name, ErrCorrupt, r.Name)
	}
	if r.Value == nil {
		r.Value = []byte{}
	}
	return r.Value, nil
}

// DeleteSetting removes a setting, or returns ErrNotFound.
func (tx *Tx) DeleteSetting(name string) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := tx.execOne(`DELETE FROM settings WHERE name_tag = ?1`, tx.lookupTag(tableSettings, name)); err != nil {
		return wrap(fmt.Sprintf("delete setting %q", name), err)
	}
	return nil
}

package wireconn

import (
	"fmt"
	"time"

	"hush/identity"
	"hush/ids"
)

// Device is what a device connects with: its account's key (to sign statements for
// the account, such as a handle or a revocation), its own key and the certificate by
// which the account vouches for it. Protocol tests and the load generator make
// their devices with it; the app keeps its keys in the vault instead.
type Device struct {
	Account *identity.AccountKey
	Key     *identity.DeviceKey
	Cert    []byte
}

// NewDevice returns the first device of a fresh account.
func NewDevice() (*Device, error) {
	acct, err := identity.NewAccountKey()
	if err != nil {
		return nil, fmt.Errorf("new account: %w", err)
	}
	return newDevice(acct)
}

// Sibling returns another device of d's account.
func (d *Device) Sibling() (*Device, error) { return newDevice(d.Account) }

func newDevice(acct *identity.AccountKey) (*Device, error) {
	dev, err := identity.NewDeviceKey()
	if err != nil {
		return nil, fmt.Errorf("new device: %w", err)
	}
	cert, err := identity.IssueCertificate(acct, dev.Public(), time.Now())
	if err != nil {
		return nil, fmt.Errorf("new device: %w", err)
	}
	return &Device{Account: acct, Key: dev, Cert: cert}, nil
}

// AccountID returns the device's account id.
func (d *Device) AccountID() ids.Account { return d.Account.ID() }

// DeviceID returns the device's id.
func (d *Device) DeviceID() ids.Device { return d.Key.ID() }

package identity

import (
	"crypto/mlkem"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"hush/ids"
	"hush/internal/strictcbor"
)

// deviceListLabel is the signature purpose of device lists.
const deviceListLabel = "device-list"

// Device-list layouts: format 2 adds the account's current ML-KEM-768 key
// ([DeviceList.KEM]); format 1, without it, is still written for a list that has
// none and read.
const (
	deviceListVersion    = 1
	deviceListVersionKEM = 2
)

// Limits of a device list. An account with more devices than MaxListedDevices
// must revoke one before it links another; MaxRevokedDevices bounds the revocations
// a list carries for good (docs/SECURITY.md, "Device lists").
const (
	MaxListedDevices  = 32
	MaxRevokedDevices = 1024
	MaxDeviceNameSize = 64 // bytes of UTF-8
	MaxPlatformSize   = 16
	MaxDeviceListSize = 64 << 10
)

// ErrInvalidDeviceList reports a device list that is malformed, of an unknown
// version, too large, or whose signature does not verify.
var ErrInvalidDeviceList = errors.New("identity: invalid device list")

// ListedDevice is one device of an account as its device list names it.
type ListedDevice struct {
	Key      DevicePublicKey
	Name     string    // what the user calls it ("Work laptop"), at most MaxDeviceNameSize bytes
	Platform string    // "linux", "windows", "darwin", "browser", …
	LinkedAt time.Time // whole seconds
}

// ID returns the device's id.
func (d ListedDevice) ID() ids.Device { return d.Key.ID() }

// DeviceList is an account's signed statement of which devices are its own. Each
// change (a device linked, renamed or revoked) is published as the next Version; a
// client accepts only a list newer than the one it holds, so a relay can neither
// add a device, nor hide or invent a revocation, nor bring an older list back
// (docs/SECURITY.md, "Device lists").
type DeviceList struct {
	// Account is the key that signed the list (its 64-byte form: no ML-KEM key).
	Account AccountPublicKey
	// Version counts the account's lists, from 1.
	Version  uint64
	IssuedAt time.Time // whole seconds
	// Devices are the account's devices that are not revoked, in the order linked.
	Devices []ListedDevice
	// Revoked are every device the account ever revoked, kept so that no later
	// list can bring one back.
	Revoked []ids.Device
	// KEM is the account's current ML-KEM-768 key, which everything wrapped to the
	// account uses from this list on; nil in a format-1 list. Revoking a device
	// publishes a new one, whose seed only the remaining devices get
	// (docs/SECURITY.md, "Revocation and the account's keys"); putting it in the
	// list the revocation is in means a contact cannot accept the revocation and
	// keep wrapping to a key the revoked device holds.
	KEM *mlkem.EncapsulationKey768
}

// Device returns the listed device with the given id.
func (l DeviceList) Device(id ids.Device) (ListedDevice, bool) {
	for _, d := range l.Devices {
		if d.ID() == id {
			return d, true
		}
	}
	return ListedDevice{}, false
}

// IsRevoked reports whether the list revokes id.
func (l DeviceList) IsRevoked(id ids.Device) bool {
	for _, r := range l.Revoked {
		if r == id {
			return true
		}
	}
	return false
}

// ErrStaleDeviceList reports a list that is not newer than the one held: a relay
// replaying an older list, or an account that signed two lists with one version.
var ErrStaleDeviceList = errors.New("identity: device list is not newer than the one held")

// ErrDeviceListRollback reports a newer list that un-revokes a device the held list
// revoked, which an honest account never signs.
var ErrDeviceListRollback = errors.New("identity: device list brings back a revoked device")

// Supersedes checks that next may replace l: the same account, a higher version, and
// every device l revoked still revoked. A list equal to l (same version, same
// bytes) is not an error for the caller to report; it returns ErrStaleDeviceList
// like any list that is not newer, and the caller compares bytes if it cares.
func (l DeviceList) Supersedes(next DeviceList) error {
	if !l.Account.Equal(next.Account) {
		return fmt.Errorf("%w: signed by another account", ErrInvalidDeviceList)
	}
	if next.Version <= l.Version {
		return fmt.Errorf("%w: version %d, holding %d", ErrStaleDeviceList, next.Version, l.Version)
	}
	for _, r := range l.Revoked {
		if !next.IsRevoked(r) {
			return fmt.Errorf("%w: %s", ErrDeviceListRollback, r)
		}
	}
	return nil
}

type deviceListBody struct {
	_        struct{} `cbor:",toarray"`
	Format   uint8
	Account  []byte
	Version  uint64
	IssuedAt int64
	Devices  []deviceEntry
	Revoked  []ids.Device
}

// deviceListBodyKEM is format 2: format 1 and the ML-KEM key.
type deviceListBodyKEM struct {
	_        struct{} `cbor:",toarray"`
	Format   uint8
	Account  []byte
	Version  uint64
	IssuedAt int64
	Devices  []deviceEntry
	Revoked  []ids.Device
	KEM      []byte
}

type deviceEntry struct {
	_        struct{} `cbor:",toarray"`
	Key      []byte
	Name     string
	Platform string
	LinkedAt int64
}

// deviceListDec allows the list's two arrays at their limits and nothing deeper.
var deviceListDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: MaxRevokedDevices, MaxMap: 16})

// IssueDeviceList signs l with k, writing CBOR [body, signature], body = CBOR [1,
// account public key (64), version, issued at (Unix seconds), [[device public key
// (64), name, platform, linked at]…], [revoked device id (16)…]], or, when l.KEM is
// set, CBOR [2, the same five, ML-KEM-768 encapsulation key (1184)]. l.Account is
// set from k. It refuses a list that [ParseDeviceList] would refuse.
func IssueDeviceList(k *AccountKey, l DeviceList) ([]byte, error) {
	l.Account = k.Public().WithoutKEM()
	body := deviceListBody{
		Format:   deviceListVersion,
		Account:  l.Account.Bytes(),
		Version:  l.Version,
		IssuedAt: unixSeconds(l.IssuedAt),
		Devices:  make([]deviceEntry, 0, len(l.Devices)),
		Revoked:  l.Revoked,
	}
	if body.Revoked == nil {
		body.Revoked = []ids.Device{}
	}
	for _, d := range l.Devices {
		body.Devices = append(body.Devices, deviceEntry{Key: d.Key.Bytes(), Name: d.Name, Platform: d.Platform, LinkedAt: unixSeconds(d.LinkedAt)})
	}
	if err := checkDeviceList(body); err != nil {
		return nil, fmt.Errorf("issue device list: %w", err)
	}
	var enc []byte
	var err error
	if l.KEM != nil {
		body.Format = deviceListVersionKEM
		enc, err = certEnc.Marshal(deviceListBodyKEM{Format: body.Format, Account: body.Account, Version: body.Version,
			IssuedAt: body.IssuedAt, Devices: body.Devices, Revoked: body.Revoked, KEM: l.KEM.Bytes()})
	} else {
		enc, err = certEnc.Marshal(body)
	}
	if err != nil {
		return nil, fmt.Errorf("encode device list: %w", err)
	}
	out, err := certEnc.Marshal(signedRecord{Body: enc, Sig: k.Sign(deviceListLabel, enc)})
	if err != nil {
		return nil, fmt.Errorf("encode device list: %w", err)
	}
	if len(out) > MaxDeviceListSize {
		return nil, fmt.Errorf("issue device list: %w: %d bytes", ErrInvalidDeviceList, len(out))
	}
	return out, nil
}

// ParseDeviceList decodes a device list and verifies its signature under the
// account key inside it. The caller must still check that the account is the one
// it expects and that the list supersedes the one it holds ([DeviceList.Supersedes]).
func ParseDeviceList(b []byte) (DeviceList, error) {
	if len(b) > MaxDeviceListSize {
		return DeviceList{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidDeviceList, len(b), MaxDeviceListSize)
	}
	var rec signedRecord
	if err := deviceListDec.Unmarshal(b, &rec); err != nil {
		return DeviceList{}, fmt.Errorf("%w: %v", ErrInvalidDeviceList, err)
	}
	body, kemKey, err := decodeDeviceListBody(rec.Body)
	if err != nil {
		return DeviceList{}, err
	}
	acct, err := ParseAccountPublicKey(body.Account)
	if err != nil {
		return DeviceList{}, fmt.Errorf("%w: account key: %v", ErrInvalidDeviceList, err)
	}
	if err := checkDeviceList(body); err != nil {
		return DeviceList{}, err
	}
	if err := acct.Verify(deviceListLabel, rec.Body, rec.Sig); err != nil {
		return DeviceList{}, fmt.Errorf("%w: %v", ErrInvalidDeviceList, err)
	}
	l := DeviceList{
		Account:  acct,
		Version:  body.Version,
		IssuedAt: time.Unix(body.IssuedAt, 0).UTC(),
		Devices:  make([]ListedDevice, 0, len(body.Devices)),
		Revoked:  body.Revoked,
		KEM:      kemKey,
	}
	for _, e := range body.Devices {
		key, err := ParseDevicePublicKey(e.Key)
		if err != nil {
			return DeviceList{}, fmt.Errorf("%w: device key: %v", ErrInvalidDeviceList, err)
		}
		l.Devices = append(l.Devices, ListedDevice{Key: key, Name: e.Name, Platform: e.Platform, LinkedAt: time.Unix(e.LinkedAt, 0).UTC()})
	}
	return l, nil
}

// decodeDeviceListBody decodes either format; the ML-KEM key is nil in format 1.
func decodeDeviceListBody(b []byte) (deviceListBody, *mlkem.EncapsulationKey768, error) {
	var v2 deviceListBodyKEM
	if err := deviceListDec.Unmarshal(b, &v2); err == nil {
		if v2.Format != deviceListVersionKEM {
			return deviceListBody{}, nil, fmt.Errorf("%w: version %d with an ML-KEM key", ErrInvalidDeviceList, v2.Format)
		}
		k, err := mlkem.NewEncapsulationKey768(v2.KEM)
		if err != nil {
			return deviceListBody{}, nil, fmt.Errorf("%w: ML-KEM key: %v", ErrInvalidDeviceList, err)
		}
		return deviceListBody{Format: v2.Format, Account: v2.Account, Version: v2.Version, IssuedAt: v2.IssuedAt,
			Devices: v2.Devices, Revoked: v2.Revoked}, k, nil
	}
	var body deviceListBody
	if err := deviceListDec.Unmarshal(b, &body); err != nil {
		return deviceListBody{}, nil, fmt.Errorf("%w: body: %v", ErrInvalidDeviceList, err)
	}
	if body.Format != deviceListVersion {
		return deviceListBody{}, nil, fmt.Errorf("%w: unknown version %d", ErrInvalidDeviceList, body.Format)
	}
	return body, nil, nil
}

// checkDeviceList holds both writer and reader to the same rules: bounded sizes,
// valid text, version from 1, no device twice and none both listed and revoked.
func checkDeviceList(b deviceListBody) error {
	switch {
	case b.Version == 0:
		return fmt.Errorf("%w: version 0", ErrInvalidDeviceList)
	case b.IssuedAt < 0:
		return fmt.Errorf("%w: issued before 1970", ErrInvalidDeviceList)
	case len(b.Devices) > MaxListedDevices:
		return fmt.Errorf("%w: %d devices, the limit is %d", ErrInvalidDeviceList, len(b.Devices), MaxListedDevices)
	case len(b.Revoked) > MaxRevokedDevices:
		return fmt.Errorf("%w: %d revoked devices, the limit is %d", ErrInvalidDeviceList, len(b.Revoked), MaxRevokedDevices)
	}
	seen := make(map[ids.Device]bool, len(b.Devices)+len(b.Revoked))
	for _, r := range b.Revoked {
		if seen[r] {
			return fmt.Errorf("%w: device %s revoked twice", ErrInvalidDeviceList, r)
		}
		seen[r] = true
	}
	for _, e := range b.Devices {
		if len(e.Key) != PublicKeySize || len(e.Name) > MaxDeviceNameSize || len(e.Platform) > MaxPlatformSize ||
			!utf8.ValidString(e.Name) || !utf8.ValidString(e.Platform) || e.LinkedAt < 0 {
			return fmt.Errorf("%w: malformed device entry", ErrInvalidDeviceList)
		}
		id := hashID(deviceIDLabel, e.Key[:32])
		if seen[id] {
			return fmt.Errorf("%w: device %s listed twice or both listed and revoked", ErrInvalidDeviceList, id)
		}
		seen[id] = true
	}
	return nil
}

// unixSeconds is t in Unix seconds, with the zero time (not set) as 0.
func unixSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

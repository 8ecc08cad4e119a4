package vault

import (
	"fmt"

	"hush/ids"
)

// vaultID is the random identifier of one vault file: it salts the subkeys and is
// bound into the key slot, so a key slot cannot be moved to another vault.
type vaultID [16]byte

// idFrom converts a stored id column, which SQL CHECKs keep at 16 bytes.
func idFrom[T ids.Any](b []byte) (T, error) {
	id, err := ids.FromBytes[T](b)
	if err != nil {
		return id, fmt.Errorf("%w: stored %s id of %d bytes", ErrCorrupt, id.Kind(), len(b))
	}
	return id, nil
}

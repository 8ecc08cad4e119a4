package app

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// storageCheckEvery is how often an unlocked Core checks that its vault file is
// still where it was opened. A USB stick pulled out while Hush runs makes the
// data folder vanish; SQLite would keep writing into a file handle whose medium is
// gone, so the app locks instead and every later write is refused rather than lost
// silently. What was committed before is on the medium (WAL mode: a commit is
// durable once it returns).
const storageCheckEvery = 2 * time.Second

// errStorageGone is what creating or unlocking says while the data folder that
// vanished is still missing: a new vault would land wherever the path now
// points (an empty mount point on the host), which portable mode promises not
// to do.
var errStorageGone = errors.New("The data folder is not reachable (was the drive removed?). Reconnect it and try again.")

// watchStorageLocked (re)arms the periodic check for session s; it stops with the
// session (lockLocked stops the timer, and a check for a replaced session does
// nothing). It records which file the vault is, so that a folder that comes back
// as a different, empty one (a re-mount) counts as gone too.
func (c *Core) watchStorageLocked(s *session) {
	if c.storage != nil {
		c.storage.Stop()
		c.storage = nil
	}
	opened, err := os.Stat(c.cfg.VaultPath)
	if err != nil {
		c.log.Warn("vault file not found right after unlocking; not watching it", "err", err)
		return
	}
	var check func()
	check = func() {
		c.mu.Lock()
		current := c.session == s
		c.mu.Unlock()
		if !current {
			return
		}
		if err := c.vaultStillThere(opened); err != nil {
			c.log.Error("data folder gone: locking", "dataDir", c.cfg.DataDir, "err", err)
			c.storageLost.Store(true)
			c.lock(LockReasonStorage)
			return
		}
		c.mu.Lock()
		if c.session == s {
			c.storage = c.clk.AfterFunc(storageCheckEvery, check)
		}
		c.mu.Unlock()
	}
	c.storage = c.clk.AfterFunc(storageCheckEvery, check)
}

// vaultStillThere reports an error when the vault file can no longer be read
// at its path or the path now names another file.
func (c *Core) vaultStillThere(opened os.FileInfo) error {
	now, err := os.Stat(c.cfg.VaultPath)
	if err != nil {
		return fmt.Errorf("check vault file: %w", err)
	}
	if !os.SameFile(opened, now) {
		return fmt.Errorf("check vault file: %s is no longer the file that was opened", c.cfg.VaultPath)
	}
	return nil
}

// storageMissingLocked reports errStorageGone while the vault file that
// vanished is still missing; once it is back, the flag clears.
func (c *Core) storageMissingLocked() error {
	if !c.storageLost.Load() {
		return nil
	}
	if _, err := os.Stat(c.cfg.VaultPath); err != nil {
		return &userError{msg: errStorageGone.Error(), cause: errStorageGone}
	}
	c.storageLost.Store(false)
	return nil
}

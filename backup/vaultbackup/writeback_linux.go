package vaultbackup

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback has the kernel begin writing f's dirty pages to the disk
// without waiting for them (sync_file_range with SYNC_FILE_RANGE_WRITE): the
// export goes on at full speed, and the fsync before the rename finds little
// left to write. An fsync here would also commit the file system's journal and
// make the export's next writes wait for pages under writeback.
func startWriteback(f *os.File) {
	unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE) // the final fsync reports errors
}

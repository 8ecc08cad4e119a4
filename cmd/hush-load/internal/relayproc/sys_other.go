//go:build !linux

package relayproc

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }

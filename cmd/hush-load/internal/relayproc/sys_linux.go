package relayproc

import "syscall"

// sysProcAttr makes the relay die with the load generator, so an interrupted run
// leaves no relay behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

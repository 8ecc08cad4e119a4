// Package relayproc runs a Hush relay as a child process for load tests and soaks,
// so the relay can be killed with SIGKILL and restarted on the same database, and so
// its memory and CPU time can be read from /proc apart from the load generator's.
//
// By default the child is the running executable itself, re-executed with
// [ChildEnv] set: a program (or test binary) that calls [RunChildIfAsked] first
// thing in main (or TestMain) then runs exactly relay.Main, the code of
// cmd/hush-relay, without needing a separate build. [Options.Command] runs a
// hush-relay binary instead.
package relayproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"hush/relay"
)

// ChildEnv, set to "1" in a process's environment, makes [RunChildIfAsked] run the
// relay instead of the program.
const ChildEnv = "HUSH_LOAD_RELAY_CHILD"

// ProfileEnv names a file for the relay child's CPU profile (runtime/pprof), written
// when it stops gracefully; it explains where a figure's time goes.
const ProfileEnv = "HUSH_LOAD_RELAY_CPUPROFILE"

// HeapProfileEnv names a file the relay child writes its heap profile to, and its
// runtime memory statistics to standard error, each time it receives SIGUSR1 (see
// [Process.DumpHeap]); it explains where a memory figure goes.
const HeapProfileEnv = "HUSH_LOAD_RELAY_HEAPPROFILE"

// listeningPrefix starts the line relay.Main prints once it accepts connections.
const listeningPrefix = "hush-relay listening on "

// defaultStartTimeout bounds how long [Start] waits for the relay to listen.
const defaultStartTimeout = 20 * time.Second

// stderrTail is how much of the relay's log an error message quotes: enough for a
// refused flag's line and the whole usage text after it (about 3 KiB and growing
// with the relay's flags).
const stderrTail = 8 << 10

// ErrExited is returned when the relay exits before it listens.
var ErrExited = errors.New("relay exited before listening")

// RunChildIfAsked runs the relay command line (relay.Main with os.Args[1:]) and
// exits the process with its status when [ChildEnv] is "1"; otherwise it returns
// at once.
func RunChildIfAsked() {
	if os.Getenv(ChildEnv) != "1" {
		return
	}
	os.Exit(runChild())
}

func runChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if path := os.Getenv(ProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "relay child: cpu profile: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "relay child: cpu profile: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if path := os.Getenv(HeapProfileEnv); path != "" && heapDumpSignal() != nil {
		dump := make(chan os.Signal, 1)
		signal.Notify(dump, heapDumpSignal())
		defer signal.Stop(dump)
		go func() {
			for range dump {
				if err := writeHeap(path); err != nil {
					fmt.Fprintf(os.Stderr, "relay child: heap profile: %v\n", err)
				}
			}
		}()
	}
	return relay.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// writeHeap writes a heap profile to path and the runtime's memory statistics, in
// KiB, to standard error.
func writeHeap(path string) error {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(os.Stderr, "relay child memory (KiB): heap in use %d, heap idle not released %d, stacks %d, goroutines %d, runtime other %d, total from OS %d\n",
		m.HeapInuse>>10, (m.HeapIdle-m.HeapReleased)>>10, m.StackInuse>>10, runtime.NumGoroutine(), (m.MSpanInuse+m.MCacheInuse+m.BuckHashSys+m.GCSys+m.OtherSys)>>10, m.Sys>>10)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// DumpHeap asks a relay child started with [HeapProfileEnv] to write its heap
// profile and memory statistics. The child forces a garbage collection first, so
// call it after measuring, not before.
func (p *Process) DumpHeap() error {
	sig := heapDumpSignal()
	if sig == nil {
		return errors.New("heap dumps need SIGUSR1 (Unix)")
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal relay %d: %w", p.PID(), err)
	}
	return nil
}

// Options configure [Start].
type Options struct {
	// Command is the relay program and any arguments before the flags, such as
	// ["/usr/bin/hush-relay"] or ["build/bin/hush", "relay"]. Empty: this executable
	// re-executed as a relay child (see [RunChildIfAsked]).
	Command []string
	// DB is the relay's SQLite database file; required.
	DB string
	// Listen is the address to listen on; default "127.0.0.1:0" (a free port).
	Listen string
	// Args are further relay flags (--rate, --max-in-flight, …).
	Args []string
	// Log receives the relay's standard error; nil discards it (the last part is
	// still quoted in errors).
	Log io.Writer
	// StartTimeout bounds the wait for the relay to listen; default 20 s.
	StartTimeout time.Duration
	// Env holds extra environment variables (KEY=value) for the child.
	Env []string
}

// Process is a running relay child.
type Process struct {
	// URL is the WebSocket URL to dial, ws://ADDR/v1/ws.
	URL string
	// Addr is the address the relay listens on.
	Addr string

	cmd    *exec.Cmd
	tail   *tailBuffer
	exited chan struct{}
	err    error // of Wait; read after exited is closed
}

// Start runs a relay and waits until it listens (or fails, or ctx ends).
func Start(ctx context.Context, o Options) (*Process, error) {
	if o.DB == "" {
		return nil, errors.New("start relay: no database file")
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = defaultStartTimeout
	}
	argv := o.Command
	env := os.Environ()
	if len(argv) == 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("start relay: find this executable: %w", err)
		}
		argv = []string{self}
		env = append(env, ChildEnv+"=1")
	}
	env = append(env, o.Env...)
	args := append(append([]string{}, argv[1:]...), "--listen", o.Listen, "--db", o.DB)
	args = append(args, o.Args...)
	cmd := exec.Command(argv[0], args...)
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()
	tail := &tailBuffer{max: stderrTail}
	if o.Log != nil {
		cmd.Stderr = io.MultiWriter(o.Log, tail)
	} else {
		cmd.Stderr = tail
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start relay: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start relay: %w", err)
	}
	p := &Process{cmd: cmd, tail: tail, exited: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		// Read the first line, then keep draining so the relay never blocks on stdout.
		r := bufio.NewReader(stdout)
		line, err := r.ReadString('\n')
		if err == nil {
			lines <- line
		}
		close(lines)
		io.Copy(io.Discard, r)
	}()
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	timer := time.NewTimer(o.StartTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-lines:
		if !ok {
			<-p.exited
			return nil, fmt.Errorf("start relay: %w (%v): %s", ErrExited, p.err, p.tail.String())
		}
		url, err := ParseListening(line)
		if err != nil {
			p.Kill()
			return nil, fmt.Errorf("start relay: %w", err)
		}
		p.URL = url
		p.Addr = strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/v1/ws")
		return p, nil
	case <-timer.C:
		p.Kill()
		return nil, fmt.Errorf("start relay: not listening after %v: %s", o.StartTimeout, p.tail.String())
	case <-ctx.Done():
		p.Kill()
		return nil, fmt.Errorf("start relay: %w", ctx.Err())
	}
}

// PID returns the relay's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed once the relay process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// LogTail returns the end of the relay's standard error.
func (p *Process) LogTail() string { return p.tail.String() }

// Kill sends SIGKILL and waits for the process to end: the relay gets no chance to
// finish anything, as in a crash or power cut (minus the disk cache).
func (p *Process) Kill() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill relay %d: %w", p.PID(), err)
	}
	<-p.exited
	return nil
}

// Stop asks the relay to shut down gracefully (SIGTERM) and waits up to timeout,
// then kills it. It returns an error if the relay did not exit cleanly.
func (p *Process) Stop(timeout time.Duration) error {
	select {
	case <-p.exited:
		return p.exitErr()
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop relay %d: %w", p.PID(), err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.exited:
		return p.exitErr()
	case <-timer.C:
		p.Kill()
		return fmt.Errorf("stop relay %d: still running after %v; killed", p.PID(), timeout)
	}
}

func (p *Process) exitErr() error {
	if p.err != nil {
		return fmt.Errorf("relay %d: %w: %s", p.PID(), p.err, p.tail.String())
	}
	return nil
}

// ParseListening extracts the URL from the line relay.Main prints once listening.
func ParseListening(line string) (string, error) {
	line = strings.TrimSpace(line)
	url, ok := strings.CutPrefix(line, listeningPrefix)
	if !ok || !strings.HasPrefix(url, "ws://") || strings.ContainsAny(url, " \t") || len(url) > 256 {
		return "", fmt.Errorf("unexpected first line from the relay: %.200q", line)
	}
	return url, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

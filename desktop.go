package main

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"hush/app"
	"hush/badge"
	"hush/datadir"
)

// windowIcon is the window icon on Linux (Windows and macOS take theirs from the
// packaged executable). 256×256, not the 1024×1024 build/appicon.png: GTK keeps
// the decoded icon for the window's life, 4 MiB at full size against 256 KiB
// (docs/PERFORMANCE.md, "Desktop cold start and memory").
//
//go:embed build/windowicon.png
var windowIcon []byte

// webkitEnv returns the KEY=value settings the Linux window gives WebKitGTK
// (read by it and by the WebKit processes it starts), leaving out any the user
// has set: getenv is os.Getenv. Each was measured (docs/PERFORMANCE.md,
// "Desktop cold start and memory"):
//   - WEBKIT_DISABLE_DMABUF_RENDERER: the window runs without GPU compositing
//     (WebviewGpuPolicyNever), so WebKit's DMA-BUF renderer, which only serves
//     composited pages, would be set up and probed for nothing (5 MB of the
//     main process).
//   - JSC_useJIT=0: JavaScriptCore interprets the page's script instead of
//     compiling it (13 MB less in the web process with a long chat open). The
//     UI's script is small and mostly waits; what is heavy (crypto, storage)
//     runs in Go. A JIT is also the usual way in for an exploit of the engine,
//     which is why Apple's Lockdown Mode turns it off too.
//   - GDK_GL=disable: GDK does not probe GLX when it opens the display, which
//     would load the GPU driver into this process for nothing (with
//     keepGLOutOfWindowProcess, ~20 MB of the main process).
func webkitEnv(getenv func(string) string) []string {
	var env []string
	for _, kv := range []string{"WEBKIT_DISABLE_DMABUF_RENDERER=1", "JSC_useJIT=0", "GDK_GL=disable"} {
		k, _, _ := strings.Cut(kv, "=")
		if getenv(k) == "" {
			env = append(env, kv)
		}
	}
	return env
}

// wailsEmitter sends app events through the Wails runtime to the window.
type wailsEmitter struct{ ctx context.Context }

func (e wailsEmitter) Emit(name string, data any) { wruntime.EventsEmit(e.ctx, name, data) }

// wailsNotifier raises native notifications (D-Bus on Linux, the notification
// centre on Windows and macOS). Each chat replaces its previous notification
// rather than stacking one per message.
type wailsNotifier struct {
	ctx context.Context
	log *slog.Logger
}

func (n wailsNotifier) Notify(x app.Notification) {
	err := wruntime.SendNotification(n.ctx, wruntime.NotificationOptions{
		ID:    "chat-" + x.ChatID,
		Title: x.Title,
		Body:  x.Body,
	})
	if err != nil {
		n.log.Warn("notification not shown", "err", err)
	}
}

// Withdraw removes a chat's notification, shown or pending.
func (n wailsNotifier) Withdraw(chatID string) {
	if err := wruntime.RemoveNotification(n.ctx, "chat-"+chatID); err != nil {
		n.log.Debug("notification not withdrawn", "err", err)
	}
}

// wailsPicker shows the native file dialogs (backups, files to send and save).
type wailsPicker struct{ ctx context.Context }

// filters offer Hush backups alone in a backup's dialogs, any file otherwise.
func filters(d app.FileDialog) []wruntime.FileFilter {
	if !d.Backups {
		return nil
	}
	return []wruntime.FileFilter{{DisplayName: "Hush backups (*.hushbackup)", Pattern: "*.hushbackup"}}
}

func (p wailsPicker) SaveFile(d app.FileDialog) (string, error) {
	return wruntime.SaveFileDialog(p.ctx, wruntime.SaveDialogOptions{Title: d.Title, DefaultFilename: d.DefaultName, Filters: filters(d)})
}

func (p wailsPicker) OpenFile(d app.FileDialog) (string, error) {
	return wruntime.OpenFileDialog(p.ctx, wruntime.OpenDialogOptions{Title: d.Title, Filters: filters(d)})
}

func (p wailsPicker) OpenFiles(d app.FileDialog) ([]string, error) {
	return wruntime.OpenMultipleFilesDialog(p.ctx, wruntime.OpenDialogOptions{Title: d.Title, Filters: filters(d)})
}

// runDesktop opens the Hush window and returns when it closes.
// hostEnv is the environment Hush was started with, before it set anything for
// itself: the programs it opens get that one.
func runDesktop(dir datadir.Dir, cfg app.Config, assets fs.FS, hostEnv []string, log *slog.Logger, stderr io.Writer) int {
	// One writer per data directory. If another process holds the lock, Wails's
	// single-instance lock below hands over to its window when it is a desktop
	// Hush (this process then exits inside wails.Run); otherwise startup reports the
	// conflict in a dialog.
	lock, lockErr := datadir.Acquire(dir.Path)
	if lockErr != nil && !errors.Is(lockErr, datadir.ErrInUse) {
		fmt.Fprintf(stderr, "hush: %v\n", lockErr)
		return 1
	}
	if lock != nil {
		defer lock.Release()
	}
	core, err := app.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	defer core.Shutdown()
	if runtime.GOOS == "linux" {
		// Before wails.Run, which starts GTK and WebKit.
		if err := setEnv(webkitEnv(os.Getenv)); err != nil {
			fmt.Fprintf(stderr, "hush: %v\n", err)
			return 1
		}
		if err := keepGLOutOfWindowProcess(os.Getenv); err != nil {
			fmt.Fprintf(stderr, "hush: %v\n", err)
			return 1
		}
	}

	defer releaseCodeWhenQuiet(os.Getenv, dir.Portable, log)()

	// The size the user left the window at (windowstate.go).
	size, err := loadWindowState(dir.Path)
	if err != nil {
		log.Warn("window size not restored", "err", err)
	}
	startState := options.Normal
	if size.Maximised {
		startState = options.Maximised
	}

	// Inside the data directory in portable mode and on Windows (so erasing a
	// removed device finds it); "" elsewhere: the WebView's default.
	webviewData, _ := dir.WebViewDirs()
	sum := sha256.Sum256([]byte(dir.Path))
	var windowCtx context.Context
	var unreadBadge atomic.Pointer[badgeShower] // set once the window has started
	err = wails.Run(&options.App{
		Title:            "Hush",
		Width:            size.Width,
		Height:           size.Height,
		MinWidth:         minWindowWidth,
		MinHeight:        minWindowHeight,
		WindowStartState: startState,
		BackgroundColour: &options.RGBA{R: 23, G: 33, B: 43, A: 255},
		AssetServer:      &assetserver.Options{Assets: assets},
		// Native file drops with their paths (runtime.OnFileDrop in OnStartup);
		// the page still sees the drag, to show where to drop, and cancels the
		// WebView's own drop, which would open the file in the window.
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true},
		Bind:        core.Services(),
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: "im.hush." + hex.EncodeToString(sum[:8]),
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {
				if windowCtx != nil {
					wruntime.WindowUnminimise(windowCtx)
					wruntime.WindowShow(windowCtx)
				}
			},
		},
		OnStartup: func(ctx context.Context) {
			windowCtx = ctx
			if lockErr != nil {
				wruntime.MessageDialog(ctx, wruntime.MessageDialogOptions{
					Type:    wruntime.ErrorDialog,
					Title:   "Hush is already running",
					Message: lockErr.Error(),
				})
				wruntime.Quit(ctx)
				return
			}
			core.SetEmitter(wailsEmitter{ctx: ctx})
			core.SetFilePicker(wailsPicker{ctx: ctx})
			keepOutOfRecentFiles()
			core.SetLinkOpener(newLinkOpener(ctx, log, hostEnv))
			// Files dropped on the window: the window system gives their paths
			// to Go (options.DragAndDrop below); the UI is told what was staged.
			wruntime.OnFileDrop(ctx, func(_, _ int, paths []string) { core.DropFiles(paths) })
			if err := wruntime.InitializeNotifications(ctx); err != nil {
				log.Warn("native notifications unavailable", "err", err)
			} else {
				core.SetNotifier(wailsNotifier{ctx: ctx, log: log})
			}
			if p := newScreenProtector(); p != nil {
				core.SetScreenProtector(p)
			}
			// The unread count on the taskbar or dock icon, from Go's own count
			// (app.Badge); the window's title keeps carrying it too.
			shower := newBadgeShower(badge.New(badge.Options{}), log)
			unreadBadge.Store(shower)
			core.SetBadge(shower)
			log.Info("window started", "dataDir", dir.Path, "portable", dir.Portable)
		},
		OnBeforeClose: func(ctx context.Context) bool {
			w, h := wruntime.WindowGetSize(ctx)
			if err := saveWindowState(dir.Path, closingState(size, w, h, wruntime.WindowIsMaximised(ctx))); err != nil {
				log.Warn("window size not saved", "err", err)
			}
			return false // close
		},
		OnShutdown: func(context.Context) {
			core.Shutdown() // the vault locks, and the count goes to 0 …
			if b := unreadBadge.Load(); b != nil {
				b.Close() // … which leaves the icon before Hush does
			}
		},
		// No GPU compositing: a chat UI does not need it, it saves ~70 MB PSS and
		// ~100 ms of start-up under software rendering, and it avoids the blank
		// windows some GPU drivers give WebKitGTK.
		Linux:   &linux.Options{ProgramName: datadir.ProgramName, Icon: windowIcon, WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		Windows: &windows.Options{WebviewUserDataPath: webviewData},
		// macOS: out of screen capture from the start (Wails v2 cannot switch it
		// later; protect_darwin.go).
		Mac: &mac.Options{About: &mac.AboutInfo{Title: "Hush", Message: versionString()}, ContentProtection: true},
	})
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	return 0
}

var (
	_ app.LinkOpener = newLinkOpener(context.Background(), nil, nil)
	_ app.Emitter    = wailsEmitter{}
	_ app.Notifier   = wailsNotifier{}
	_ app.FilePicker = wailsPicker{}
)

package main

import (
	"bytes"
	"image/png"
	"slices"
	"testing"
)

func TestWebKitEnv(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{name: "nothing set", want: []string{"WEBKIT_DISABLE_DMABUF_RENDERER=1", "JSC_useJIT=0", "GDK_GL=disable"}},
		{name: "the user's choice wins", set: map[string]string{"WEBKIT_DISABLE_DMABUF_RENDERER": "0"}, want: []string{"JSC_useJIT=0", "GDK_GL=disable"}},
		{name: "the user's choices win", set: map[string]string{"WEBKIT_DISABLE_DMABUF_RENDERER": "0", "JSC_useJIT": "1", "GDK_GL": "gles"}, want: nil},
		{name: "unrelated variables", set: map[string]string{"WEBKIT_DISABLE_COMPOSITING_MODE": "1"}, want: []string{"WEBKIT_DISABLE_DMABUF_RENDERER=1", "JSC_useJIT=0", "GDK_GL=disable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := webkitEnv(func(k string) string { return tt.set[k] })
			if !slices.Equal(got, tt.want) {
				t.Errorf("webkitEnv = %q, want %q", got, tt.want)
			}
		})
	}
}

// The decoded window icon stays in the main process for the window's life
// (4 MiB for the 1024×1024 build/appicon.png).
func TestWindowIconIsSmall(t *testing.T) {
	cfg, err := png.DecodeConfig(bytes.NewReader(windowIcon))
	if err != nil {
		t.Fatalf("window icon: %v", err)
	}
	if cfg.Width > 256 || cfg.Height > 256 || cfg.Width < 64 {
		t.Errorf("window icon is %d×%d, want 64…256 px square", cfg.Width, cfg.Height)
	}
}

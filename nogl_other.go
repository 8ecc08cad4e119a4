//go:build !(linux && cgo)

package main

// keepGLOutOfWindowProcess does nothing here: WebView2 and WKWebView keep the
// GPU in processes of their own.
func keepGLOutOfWindowProcess(func(string) string) error { return nil }

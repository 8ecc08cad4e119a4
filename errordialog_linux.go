//go:build linux && cgo

package main

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>

// hush_error_dialog shows a modal GTK message box; it does nothing without a
// display (gtk_init_check fails).
static void hush_error_dialog(const char *title, const char *msg) {
	if (!gtk_init_check(NULL, NULL)) return;
	GtkWidget *d = gtk_message_dialog_new(NULL, 0, GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", title);
	gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(d), "%s", msg);
	gtk_window_set_title(GTK_WINDOW(d), "Hush");
	gtk_dialog_run(GTK_DIALOG(d));
	gtk_widget_destroy(d);
	while (gtk_events_pending()) gtk_main_iteration();
}
*/
import "C"

import "unsafe"

// showStartupError puts an error that stopped the window from opening in a GTK
// message box: started from a desktop menu or a file manager, nobody reads stderr.
// GTK alone writes nothing to the profile, which matters when the error is a
// portable folder Hush could not use.
func showStartupError(title, msg string) {
	ct, cm := C.CString(title), C.CString(msg)
	defer C.free(unsafe.Pointer(ct))
	defer C.free(unsafe.Pointer(cm))
	C.hush_error_dialog(ct, cm)
}

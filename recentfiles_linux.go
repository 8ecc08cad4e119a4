//go:build linux && cgo

package main

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>

static gboolean hush_recent_files_off(gpointer unused) {
	GtkSettings *s = gtk_settings_get_default();
	if (s != NULL) g_object_set(s, "gtk-recent-files-enabled", FALSE, NULL);
	return G_SOURCE_REMOVE;
}

// hush_keep_out_of_recent_files asks GTK's main loop (g_idle_add may be called
// from any thread; GtkSettings may be touched only on GTK's) to stop recording
// files in the desktop's recently-used list.
static void hush_keep_out_of_recent_files(void) {
	g_idle_add(hush_recent_files_off, NULL);
}
*/
import "C"

// keepOutOfRecentFiles stops GTK's file dialogs from adding the files a person
// sends or saves to the desktop's recently-used list
// (~/.local/share/recently-used.xbel), which every other program can read: the
// names of files shared in a private chat are nobody else's business
// (docs/SECURITY.md, "Attachments"). Portable mode already keeps that list
// inside the portable folder; this keeps it empty of Hush's files everywhere.
func keepOutOfRecentFiles() { C.hush_keep_out_of_recent_files() }

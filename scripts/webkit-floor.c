/* webkit-floor.c - the smallest GTK3 + WebKitGTK (webkit2gtk-4.1) window: one WebView
 * showing an inline HTML string, like a Wails v2 app on Linux minus the Go runtime.
 * The floor Hush's window is measured against (scripts/measure-window.sh). Given a URI
 * as its one argument it shows that page instead, its console written to standard
 * output (scripts/measure-page-js.sh). Build:
 *   cc -O2 -o "$TMPDIR/webkit-floor" webkit-floor.c $(pkg-config --cflags --libs webkit2gtk-4.1)
 */
#include <gtk/gtk.h>
#include <webkit2/webkit2.h>

int main(int argc, char **argv) {
  gtk_init(&argc, &argv);
  GtkWidget *win = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_title(GTK_WINDOW(win), "webkit-floor");
  gtk_window_set_default_size(GTK_WINDOW(win), 900, 640);
  g_signal_connect(win, "destroy", G_CALLBACK(gtk_main_quit), NULL);
  GtkWidget *view = webkit_web_view_new();
  if (argc > 1) {
    /* The page's console goes to standard output, where the caller reads errors. */
    webkit_settings_set_enable_write_console_messages_to_stdout(
      webkit_web_view_get_settings(WEBKIT_WEB_VIEW(view)), TRUE);
    webkit_web_view_load_uri(WEBKIT_WEB_VIEW(view), argv[1]);
  } else
    webkit_web_view_load_html(WEBKIT_WEB_VIEW(view),
      "<html><body style='font-family:sans-serif;background:#2b5278;color:#fff'>"
      "<h1>webkit-floor</h1><p>GTK3 + WebKitGTK, one WebView.</p></body></html>", NULL);
  gtk_container_add(GTK_CONTAINER(win), view);
  gtk_widget_show_all(win);
  gtk_main();
  return 0;
}

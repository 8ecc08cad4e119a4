/* dragsrc.c - a GTK3 window whose button drags one file (its URI, text/uri-list),
 * as a file manager does, or (--clipboard) a program that puts a picture on the
 * clipboard and serves it until killed, as a screenshot tool does;
 * scripts/drop-desktop.sh drops and pastes them into Hush's window.
 * Build: cc -O2 -o dragsrc dragsrc.c $(pkg-config --cflags --libs gtk+-3.0)
 * Usage: dragsrc file:///path/to/file | dragsrc --clipboard
 */
#include <gtk/gtk.h>

static const char *uri;

static void data_get(GtkWidget *w, GdkDragContext *c, GtkSelectionData *d, guint info, guint t, gpointer u) {
  gchar *uris[] = {(gchar *)uri, NULL};
  gtk_selection_data_set_uris(d, uris);
}

int main(int argc, char **argv) {
  gtk_init(&argc, &argv);
  if (argc != 2) return 2;
  if (g_strcmp0(argv[1], "--clipboard") == 0) {
    GdkPixbuf *picture = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, 640, 480);
    gdk_pixbuf_fill(picture, 0x2a6fdbff);
    gtk_clipboard_set_image(gtk_clipboard_get(GDK_SELECTION_CLIPBOARD), picture);
    gtk_main();
    return 0;
  }
  uri = argv[1];
  GtkWidget *win = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_title(GTK_WINDOW(win), "dragsrc");
  gtk_window_set_default_size(GTK_WINDOW(win), 200, 100);
  GtkWidget *button = gtk_button_new_with_label("drag me");
  GtkTargetEntry targets[] = {{"text/uri-list", 0, 0}};
  gtk_drag_source_set(button, GDK_BUTTON1_MASK, targets, 1, GDK_ACTION_COPY);
  g_signal_connect(button, "drag-data-get", G_CALLBACK(data_get), NULL);
  gtk_container_add(GTK_CONTAINER(win), button);
  gtk_widget_show_all(win);
  gtk_main();
  return 0;
}

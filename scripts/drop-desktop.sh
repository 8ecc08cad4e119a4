#!/usr/bin/env bash
# Desktop file drop and paste: the real Wails window under Xvfb, unlocked, with a
# chat open; a GTK window (scripts/dragsrc.c) drags a file onto it as a file manager
# would, then a picture is put on the clipboard and pasted into the message box, then
# the paperclip's native dialog is answered with the file's path.
# Passes when Go got the file's path from the window system and staged it (one
# encrypted file appears in attachments/ and stays: the open chat's send sheet
# holds it), and the page is still Hush rather than the file opened in the
# window (Escape cancels the sheet, and the staged file is deleted: only a page
# still there can ask for that). The same for the pasted picture: staged, held,
# discarded. WebKitGTK has three ways to get these wrong (docs/ARCHITECTURE.md,
# "Attachments in the UI").
# Then, with the window connected to a relay: a file chosen in the dialog is sent,
# its "Save as…" answered in GTK's save dialog, and the saved file must hold the
# original bytes; a pasted picture (640x480, one colour) is sent and clicked, and
# the image view must show it whole, at its own size, in its exact colour (the
# bubble's thumbnail is a smaller JPEG). Last, GTK's recently-used list in the
# test's HOME must name none of these files (recentfiles_linux.go).
# Usage: scripts/drop-desktop.sh path/to/hush
set -euo pipefail
bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
relay_pid=""
cleanup() { [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cc -O2 -o "$tmp/dragsrc" "$root/scripts/dragsrc.c" $(pkg-config --cflags --libs gtk+-3.0)
(cd "$root" && go build -o "$tmp/hush-seed" ./cmd/hush-seed)
"$bin" relay --listen 127.0.0.1:0 --db "$tmp/relay.db" >"$tmp/relay.log" 2>&1 &
relay_pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(grep -oE 'ws://[^ ]+' "$tmp/relay.log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { echo "drop: the relay did not start"; cat "$tmp/relay.log"; exit 1; }
echo "drop test passphrase 42" >"$tmp/pass"
"$tmp/hush-seed" --data-dir "$tmp/seed" --passphrase-file "$tmp/pass" --messages 3 --relay "$url" >/dev/null 2>&1
rm -f "$tmp/seed/hush.lock"
# The points clicked below are those of a 1100x720 window: opened at that size as
# a size saved by an earlier window (windowstate.go).
echo '{"width":1100,"height":720}' >"$tmp/seed/window.json"

cat >"$tmp/inner.sh" <<'INNER'
set -euo pipefail
bin=$1 tmp=$2 url=$3
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
mkdir -p "$HOME"
echo "a file dropped on the window" >"$tmp/dropped.txt"
"$bin" --data-dir "$tmp/seed" --relay "$url" --log-level debug >"$tmp/out.log" 2>&1 &
pid=$!
src=""
trap 'kill $pid $src 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
wait_log() { for _ in $(seq 1 "$2"); do grep -q "$1" "$tmp/out.log" && return 0; sleep 0.05; done; return 1; }
files() { find "$tmp/seed/attachments" -type f 2>/dev/null | wc -l; }
until_files() { for _ in $(seq 1 100); do [ "$(files)" = "$1" ] && return 0; sleep 0.05; done; return 1; }
# offered WHAT: one file was just staged; it stays (the open chat's send sheet
# holds it: with no sheet to take it, the page has it deleted at once), and
# Escape in the window cancels the sheet and has it deleted (only a page still
# there, not a file the WebView opened, can ask for that).
offered() {
  until_files 1 || { echo "drop: $1 was not staged ($(files) files)"; cat "$tmp/out.log"; exit 1; }
  sleep 1
  [ "$(files)" = 1 ] || { echo "drop: $1 was not offered to send"; exit 1; }
  xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"
  xdotool key Escape
  until_files 0 || { echo "drop: Escape did not cancel the send sheet of $1: the window no longer shows Hush"; exit 1; }
  echo "drop: $1 was staged, offered in the send sheet and discarded on Escape"
}
wait_log 'msg=status state=locked' 400 || { echo "drop: no unlock screen"; cat "$tmp/out.log"; exit 1; }
sleep 0.5
win=$(xdotool search --onlyvisible --name '^Hush$' | head -1)
xdotool windowmove "$win" 300 0
xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"
xdotool type --delay 5 "$(cat "$tmp/pass")"
xdotool key Return
wait_log 'msg="vault unlocked"' 600 || { echo "drop: not unlocked"; cat "$tmp/out.log"; exit 1; }
sleep 1.5
# The chat list's only chat (Alt+Down opens the first).
xdotool key alt+Down
sleep 1
"$tmp/dragsrc" "file://$tmp/dropped.txt" &
src=$!
sleep 1
xdotool windowmove "$(xdotool search --onlyvisible --name '^dragsrc$' | head -1)" 0 0
sleep 0.5
xdotool mousemove 100 50 mousedown 1
for x in 120 160 220 300 500 700 900; do xdotool mousemove $x 400; sleep 0.15; done
xdotool mouseup 1
wait_log 'msg="files dropped on the window" count=1' 100 || { echo "drop: Go never got the dropped file"; cat "$tmp/out.log"; exit 1; }
offered "a file dropped on the window"
kill $src 2>/dev/null || true

"$tmp/dragsrc" --clipboard &
src=$!
sleep 1
# The message box, at the bottom of the open chat.
xdotool mousemove 1000 685 click 1
sleep 0.3
xdotool key ctrl+v
offered "a picture pasted into the message box"

# dialog TITLE [TRIES]: the GTK dialog of that title (waited for TRIES x 50 ms), focused.
dialog() {
  local d=""
  for _ in $(seq 1 "${2:-100}"); do
    d=$(xdotool search --onlyvisible --name "^$1\$" 2>/dev/null | head -1 || true)
    [ -n "$d" ] && break
    sleep 0.05
  done
  [ -n "$d" ] || { [ -n "${2:-}" ] && return 1; echo "drop: no dialog \"$1\""; cat "$tmp/out.log"; exit 1; }
  xdotool windowactivate --sync "$d" 2>/dev/null || xdotool windowfocus --sync "$d"
  sleep 0.3
}
# choose: the paperclip, then GTK's own file chooser answered by typing the path.
choose() {
  xdotool mousemove 664 685 click 1
  dialog 'Attach files'
  xdotool key ctrl+l
  xdotool type --delay 5 "$tmp/dropped.txt"
  sleep 0.5 # the location bar completes as it is typed
  xdotool key Return
}
choose
offered "a file chosen in the native dialog"

# Sent for real this time: Enter in the send sheet's caption sends.
wait_log 'msg="relay session"' 400 || { echo "drop: the window never reached the relay"; cat "$tmp/out.log"; exit 1; }
choose
until_files 1 || { echo "drop: the chosen file was not staged"; exit 1; }
sleep 1
xdotool key Return
# The newest message, the file, is the last of the list: its "Save as…" button,
# there once the upload is done (clicked again until the dialog opens, for a while).
saving=""
for _ in $(seq 1 30); do
  xdotool mousemove 1330 603 click 1
  dialog 'Save the file' 20 && { saving=1; break; }
done
[ -n "$saving" ] || { echo "drop: the sent file offered no Save as"; cat "$tmp/out.log"; exit 1; }
xdotool key ctrl+a
xdotool type --delay 5 "$tmp/saved.txt"
sleep 0.5
xdotool key Return
for _ in $(seq 1 100); do [ -f "$tmp/saved.txt" ] && break; sleep 0.05; done
cmp -s "$tmp/dropped.txt" "$tmp/saved.txt" || { echo "drop: Save as did not write the file's bytes"; ls -la "$tmp"; cat "$tmp/out.log"; exit 1; }
echo "drop: a file sent from the window was saved through GTK's save dialog, byte for byte"

# A picture, pasted and sent, opened larger by a click on its thumbnail.
"$tmp/dragsrc" --clipboard &
src=$!
sleep 1
xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"
xdotool mousemove 1000 685 click 1
sleep 0.3
xdotool key ctrl+v
sleep 2
xdotool key Return
kill $src 2>/dev/null || true
# exact PNG: pixels of exactly the picture's colour on screen.
exact() { import -window root "$tmp/$1.png"; convert "$tmp/$1.png" -fill black +opaque "#2a6fdb" -fill white -opaque "#2a6fdb" -format "%[fx:round(mean*w*h)]" info:; }
# The thumbnail, once the picture is sent, clicked until the view opens (for a while).
before="" after=0
for _ in $(seq 1 15); do
  sleep 1
  [ -n "$before" ] || { b=$(exact bubble); [ "$b" -lt 100000 ] && before=$b; }
  xdotool mousemove 1127 459 click 1
  sleep 1
  after=$(exact view)
  [ "$after" -gt 300000 ] && break
done
# 640x480 = 307200 pixels, less the view's rounded corners.
[ "$after" -gt 300000 ] && [ -n "$before" ] ||
  { echo "drop: the image view did not show the picture whole ($before pixels of its colour before the click, $after after)"; cat "$tmp/out.log"; exit 1; }
xdotool key Escape
echo "drop: a pasted picture was sent, and its image view showed all $after pixels of it"

if grep -qE 'dropped.txt|saved.txt|Pasted' "$XDG_DATA_HOME/recently-used.xbel" 2>/dev/null; then
  echo "drop: GTK's recently-used list names the files sent and saved:"; cat "$XDG_DATA_HOME/recently-used.xbel"; exit 1
fi
echo "drop: the desktop's recently-used list names none of them"
INNER
xvfb-run -a -s "-screen 0 1400x900x24" bash "$tmp/inner.sh" "$bin" "$tmp" "$url"

#!/usr/bin/env bash
# Portable-mode test of the real binary: copy hush next to an empty hush-data/,
# point HOME, every XDG folder and TMPDIR at empty folders, start it under Xvfb,
# create an account and a group through the window, close the window as a person
# would, and fail if any file appeared anywhere but hush-data/.
# It runs in a private mount namespace with fresh /tmp, /var/tmp and /dev/shm, so
# that anything written there is Hush's (other programs on the machine share the
# real ones).
# Usage: scripts/portable-test.sh path/to/hush
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1")
[ -x "$bin" ] || { echo "portable-test: $bin is not an executable" >&2; exit 1; }

scratch="/tmp /var/tmp /dev/shm"  # where programs put files outside any profile
if [ -z "${HUSH_PORTABLE_TEST_MODE:-}" ]; then
  ns=(unshare -m --propagation private)
  [ "$(id -u)" -ne 0 ] && ns=(unshare -r -m --propagation private)
  if "${ns[@]}" true 2>/dev/null; then
    HUSH_PORTABLE_TEST_MODE=ns exec "${ns[@]}" "$0" "$bin"
  fi
  echo "portable-test: no private mount namespace here; comparing the shared $scratch before and after instead"
  HUSH_PORTABLE_TEST_MODE=shared
fi

# Held open: the fresh scratch file systems below may hide the paths (a checkout
# under /tmp, as CI's may be).
exec 8<"$bin" 9<"$here/x11-close.py"
if [ "$HUSH_PORTABLE_TEST_MODE" = ns ]; then
  # Inside the namespace: empty scratch file systems, seen by this test alone.
  for d in $scratch; do
    mount -t tmpfs -o mode=1777,size=512m tmpfs "$d"
  done
  base=/tmp
else
  base=$(mktemp -d)
  trap 'rm -rf "$base"' EXIT
  # shellcheck disable=SC2086
  before=$(find $scratch -mindepth 1 -maxdepth 1 2>/dev/null | sort)
fi
t0=$(date +%s)
harness=$base/harness stick=$base/stick host=$base/host
mkdir -p "$harness" "$stick/hush-data" "$host"/{home,config,data,cache,state,tmp}
install -d -m 0700 "$host/runtime"
cat <&8 >"$stick/hush"
chmod 0755 "$stick/hush"
cat <&9 >"$harness/x11-close.py"
exec 8<&- 9<&-
ro=""
if [ "$HUSH_PORTABLE_TEST_MODE" = ns ]; then
  # A stick whose hush-data/ is read-only (write-protect switch): Hush must say so.
  ro=$base/ro-stick
  mkdir -p "$ro/hush-data"
  cp "$stick/hush" "$ro/hush"
  mount -t tmpfs -o ro,size=1m tmpfs "$ro/hush-data"
fi
out=$harness/hush.log

inner=$harness/inner.sh
cat >"$inner" <<'INNER'
set -euo pipefail
here=$1 harness=$2 stick=$3 host=$4 out=$5 ro=${6:-}
cd "$harness"
# Only what a desktop session gives a program, all of it pointing at empty folders.
session_env=(env -i PATH="$PATH" DISPLAY="$DISPLAY" XAUTHORITY="$XAUTHORITY" LANG=C.UTF-8
  HOME="$host/home" XDG_CONFIG_HOME="$host/config" XDG_DATA_HOME="$host/data"
  XDG_CACHE_HOME="$host/cache" XDG_STATE_HOME="$host/state" XDG_RUNTIME_DIR="$host/runtime"
  TMPDIR="$host/tmp")
if [ -n "$ro" ]; then
  # Started as from a file manager (stderr is no terminal): a message box titled
  # Hush says the drive is read-only; closing it ends Hush with status 1.
  "${session_env[@]}" "$ro/hush" >"$harness/ro.log" 2>&1 &
  ropid=$!
  dialog=""
  for _ in $(seq 1 100); do  # up to ~10 s
    dialog=$(xdotool search --onlyvisible --name '^Hush$' 2>/dev/null | head -1 || true)
    [ -n "$dialog" ] && break
    kill -0 $ropid 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$dialog" ] || { echo "portable-test: no message box for a read-only stick"; cat "$harness/ro.log"; exit 1; }
  grep -q 'read-only' "$harness/ro.log" || { echo "portable-test: the error does not say read-only"; cat "$harness/ro.log"; exit 1; }
  python3 "$here/x11-close.py" "$dialog"
  rc=0
  for _ in $(seq 1 50); do kill -0 $ropid 2>/dev/null || break; sleep 0.1; done
  wait $ropid || rc=$?
  [ "$rc" = 1 ] || { echo "portable-test: hush on a read-only stick exited with $rc, want 1"; exit 1; }
  echo "portable-test: read-only stick: message box shown ($(grep -m1 '^hush: ' "$harness/ro.log"))"
fi
port=$((20000 + RANDOM % 20000))
"$stick/hush" relay --listen "127.0.0.1:$port" --db "$harness/relay.db" >"$harness/relay.log" 2>&1 &
relay=$!
"${session_env[@]}" "$stick/hush" --relay "ws://127.0.0.1:$port" --log-level debug >"$out" 2>&1 &
pid=$!
trap 'kill $pid $relay 2>/dev/null || true; wait $pid $relay 2>/dev/null || true' EXIT
fail() { echo "portable-test: $*"; tail -n 30 "$out"; exit 1; }
wait_log() { # pattern, tries of 0.1 s
  for _ in $(seq 1 "$2"); do
    grep -q -- "$1" "$out" && return 0
    kill -0 $pid 2>/dev/null || fail "hush exited early"
    sleep 0.1
  done
  fail "timed out waiting for $1"
}
win=""
for _ in $(seq 1 150); do  # up to ~15 s
  win=$(xdotool search --onlyvisible --name '^Hush$' 2>/dev/null | head -1 || true)
  [ -n "$win" ] && break
  kill -0 $pid 2>/dev/null || fail "hush exited early"
  sleep 0.1
done
[ -n "$win" ] || fail "no window titled Hush appeared"
grep -q 'portable=true' "$out" || fail "hush did not start in portable mode"
wait_log 'msg=status state=new' 150
sleep 1  # the welcome screen renders in the frame after its first answer
xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"
xdotool type --delay 5 "Portable Test"
xdotool key Tab
xdotool type --delay 5 "portable test passphrase 42"
xdotool key Tab
xdotool type --delay 5 "portable test passphrase 42"
xdotool key Return
wait_log 'msg="account created"' 300
wait_log 'msg="relay session"' 200
sleep 1
# A group, from the "New chat" button (its centre 44 px in from the bottom right
# corner of the chat list, whose width is clamp(260px, 30vw, 420px)), its menu's
# third item (New message, New secret chat, New group), and the dialog's name field.
read -r width height < <(xdotool getwindowgeometry "$win" | sed -nE 's/.*Geometry: ([0-9]+)x([0-9]+).*/\1 \2/p')
list=$((width * 3 / 10)); [ $list -lt 260 ] && list=260; [ $list -gt 420 ] && list=420
xdotool mousemove --window "$win" $((list - 44)) $((height - 44)) click 1
sleep 0.5
xdotool key Down
sleep 0.2
xdotool key Down
sleep 0.2
xdotool key Return
sleep 0.5
xdotool type --delay 5 "Portable notes"
xdotool key Return
wait_log 'msg="group created"' 150
sleep 1
# Quit as a person does: the window's close button.
python3 "$here/x11-close.py" "$win"
for _ in $(seq 1 150); do  # up to ~15 s
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
kill -0 $pid 2>/dev/null && fail "hush did not quit after its window was closed"
wait $pid || fail "hush exited with status $?"
trap 'kill $relay 2>/dev/null || true; wait $relay 2>/dev/null || true' EXIT
echo "portable-test: account and group created, window closed, hush exited"
INNER
TMPDIR="$harness" xvfb-run -a -s "-screen 0 1280x800x24" env TMPDIR="$harness" bash "$inner" "$harness" "$harness" "$stick" "$host" "$out" "$ro"

# Everything Hush wrote must be in hush-data/. The harness's own files (its logs,
# the relay's database, Xvfb's socket and lock, xvfb-run's auth file) are not Hush's.
allowed="$stick $stick/hush $host $(printf "$host/%s " home config data cache state tmp runtime)"
if [ "$HUSH_PORTABLE_TEST_MODE" = ns ]; then
  # shellcheck disable=SC2086
  leaks=$(find $scratch -mindepth 1 \
    \( -path "$harness" -o -path "$stick/hush-data" -o -path /tmp/.X11-unix \) -prune -o -print |
    grep -vxF -e "$harness" -e "$stick/hush-data" -e /tmp/.X11-unix $(printf -- '-e %s ' $allowed) \
      -e "$base/ro-stick" -e "$base/ro-stick/hush" -e "$base/ro-stick/hush-data" |
    grep -vE '^/tmp/\.X[0-9]+-lock$' || true)
else
  # New top-level entries in the shared scratch folders (other programs on this
  # machine could add some too: a failure here names them), and anything in the
  # fake profile folders.
  # shellcheck disable=SC2086
  leaks=$( { comm -13 <(echo "$before") <(find $scratch -mindepth 1 -maxdepth 1 2>/dev/null | sort) | grep -vxF "$base" || true
    find "$host" -mindepth 1 | grep -vxF $(printf -- '-e %s ' $allowed) || true; } )
fi
if [ -n "$leaks" ]; then
  echo "portable-test: FAIL: files outside the portable folder:"
  echo "$leaks" | sed 's/^/  /'
  exit 1
fi
# And something did land inside it: the vault and the WebView's own data.
for f in vault.db webview/data/hush webview/cache/hush; do
  [ -e "$stick/hush-data/$f" ] || { echo "portable-test: FAIL: hush-data/$f missing"; find "$stick/hush-data" | head -40; exit 1; }
done
echo "portable-test: nothing outside hush-data/ ($(find "$stick/hush-data" | wc -l) entries inside) in $(( $(date +%s) - t0 )) s"

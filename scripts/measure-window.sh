#!/usr/bin/env bash
# Side-by-side cold start and memory of Hush's window and of the bare WebKitGTK
# window it stands on (scripts/webkit-floor.c), interleaved so that both see the
# same machine load (docs/PERFORMANCE.md, "Desktop cold start and memory").
#
# Usage: scripts/measure-window.sh [--runs N] [--chat MESSAGES] [--settle S] [--browse B]
#        [--env K=V]... path/to/hush
#
# Each round runs, each on its own Xvfb (1280x800x24, software rendering) with a
# fresh HOME, XDG folders and TMPDIR (a cold start):
#   hush   the Hush window on a fresh data directory, measured at the welcome screen;
#   floor  webkit-floor with compositing off (as Hush runs);
#   chat   (with --chat) Hush on a copy of a data directory holding an account and one
#          chat of MESSAGES messages (made once with cmd/hush-seed), unlocked by typing
#          the passphrase into the window, the chat opened with Alt+Down B seconds
#          after the unlock (--browse, default 2).
# Figures per run: ttw_ms, from exec until xdotool finds the visible window; PSS
# (smaps_rollup) of the app's processes, S seconds (--settle, default 3) after the
# welcome screen asked Go for its status (hush), after the window mapped (floor), or
# after the chat opened (chat).
# PSS divides a shared page between every process on the machine that maps it, so
# other WebKit processes running at the same time make the figures smaller: the
# script says how many it saw (it cannot see other containers' on a shared host). Run as root, it also gives "alone": the PSS the
# processes would have with nothing else running (cmd/hush-pss), which does not
# move with the machine's other users. MEASURE_WINDOW_SMAPS=DIR keeps every measured
# process's /proc/PID/smaps there, a screenshot of each run and (as root) each
# run's alone figure per process and mapping (hush-pss -by-mapping). Medians at the end. --env adds a variable to Hush's
# environment (to try a setting). Needs Xvfb, xdotool, ImageMagick, cc, pkg-config,
# libwebkit2gtk-4.1-dev and Go.
set -euo pipefail

runs=5 chat=0 settle=3 browse=2 extra_env=()
while [ $# -gt 1 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --chat) chat=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --browse) browse=$2; shift 2 ;;
    --env) extra_env+=("$2"); shift 2 ;;
    *) echo "measure-window: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 1 ] || { sed -n '2,30p' "$0" >&2; exit 2; }
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/xvfb.sh
. "$here/xvfb.sh"
root=$(dirname "$here")

tmp=$(mktemp -d -t measure-window.XXXXXX)
relay_pid=""
cleanup() {
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -o "$tmp/webkit-floor" "$here/webkit-floor.c" $(pkg-config --cflags --libs webkit2gtk-4.1)
(cd "$root" && go build -o "$tmp/hush-pss" ./cmd/hush-pss)

pass="measure window passphrase 42"
if [ "$chat" -gt 0 ]; then
  # The seed sends its messages through a throwaway relay, with no rate limits.
  echo "$pass" >"$tmp/pass"
  (cd "$root" && go build -o "$tmp/hush-seed" ./cmd/hush-seed)
  "$bin" relay --listen 127.0.0.1:0 --db "$tmp/relay.db" --rate 1000000000 --burst 1000000000 \
    --new-chats-per-hour 0 --quota-mb 1048576 >"$tmp/relay.log" 2>&1 &
  relay_pid=$!
  for _ in $(seq 300); do grep -q 'listening on ws://' "$tmp/relay.log" && break; sleep 0.1; done
  url=$(grep -o 'ws://[^ ]*' "$tmp/relay.log" | head -1)
  "$tmp/hush-seed" --data-dir "$tmp/seed" --passphrase-file "$tmp/pass" --messages "$chat" --relay "$url"
  kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true; relay_pid=""
  rm -f "$tmp/seed/hush.lock"
fi

now_ms() { date +%s%3N; }
wait_log() { # file pattern tries(x50 ms)
  for _ in $(seq "$3"); do grep -q "$2" "$1" && return 0; sleep 0.05; done
  return 1
}

# run KIND: one cold start; prints "KIND ttw_ms pss_MiB main net web alone_MiB status"
run() {
  local kind=$1 w="$tmp/run" pid xvfb dpy t0 t1 win="" args title status=ok
  rm -rf "$w"; mkdir -p "$w/home" "$w/runtime" "$w/tmp"; chmod 700 "$w/runtime"
  start_xvfb || { echo "measure-window: no free display" >&2; return 1; }
  case $kind in
    floor) title='^webkit-floor$'; args=(env WEBKIT_DISABLE_COMPOSITING_MODE=1 "$tmp/webkit-floor") ;;
    hush) title='^Hush$'; args=(env "${extra_env[@]}" "$bin" --data-dir "$w/data" --log-level debug) ;;
    chat) title='^Hush$'; cp -r "$tmp/seed" "$w/data"
      args=(env "${extra_env[@]}" "$bin" --data-dir "$w/data" --log-level debug) ;;
  esac
  t0=$(now_ms)
  setsid env -i PATH="$PATH" LANG=C.UTF-8 HOME="$w/home" XDG_CONFIG_HOME="$w/home/.config" \
    XDG_DATA_HOME="$w/home/.local/share" XDG_CACHE_HOME="$w/home/.cache" \
    XDG_STATE_HOME="$w/home/.local/state" XDG_RUNTIME_DIR="$w/runtime" TMPDIR="$w/tmp" \
    DISPLAY="$dpy" "${args[@]}" </dev/null >"$w/log" 2>&1 &
  pid=$!
  win=""
  for _ in $(seq 1500); do
    win=$(DISPLAY=$dpy xdotool search --onlyvisible --name "$title" 2>/dev/null | head -1 || true)
    [ -n "$win" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  t1=$(now_ms)
  [ -n "$win" ] || status=no_window
  [ "$status" = ok ] && case $kind in
    floor) sleep "$settle" ;;
    hush) wait_log "$w/log" 'msg=status state=new' 200 || status=no_welcome; sleep "$settle" ;;
    chat)
      wait_log "$w/log" 'msg=status state=locked' 200 || status=no_unlock_screen
      sleep 0.5
      DISPLAY=$dpy xdotool windowfocus --sync "$win" 2>/dev/null || true
      DISPLAY=$dpy xdotool type --delay 5 "$pass"
      DISPLAY=$dpy xdotool key Return
      wait_log "$w/log" 'msg="vault unlocked"' 600 || status=not_unlocked
      sleep "$browse"
      # Alt+Down opens the first chat of the list (the only one) wherever the list
      # sits: a click at a fixed point hit the folder tabs once the offline banner
      # had pushed the list down. The chat is open when the UI read its messages.
      DISPLAY=$dpy xdotool key alt+Down
      wait_log "$w/log" 'msg="messages page"' 200 || status=chat_not_opened
      sleep "$settle" ;;
  esac
  DISPLAY=$dpy import -window root "$tmp/$kind.png" 2>/dev/null || true
  # MEASURE_WINDOW_SMAPS=DIR keeps the screenshot too, to see what was measured.
  [ -n "${MEASURE_WINDOW_SMAPS:-}" ] && mkdir -p "$MEASURE_WINDOW_SMAPS" &&
    cp "$tmp/$kind.png" "$MEASURE_WINDOW_SMAPS/$kind.$pid.png" 2>/dev/null &&
    cp "$w/log" "$MEASURE_WINDOW_SMAPS/$kind.$pid.log" 2>/dev/null || true
  local main=0 net=0 web=0 p k comm pids alone=0
  pids=$(pgrep -s "$pid" || true)
  if [ -z "$pids" ]; then
    status=exited
  elif [ "$(id -u)" = 0 ]; then
    # One reading of the pages; with MEASURE_WINDOW_SMAPS it is kept, with where
    # the alone figure goes per mapping.
    "$tmp/hush-pss" -by-mapping $pids >"$w/by-mapping" 2>/dev/null || true
    alone=$(awk '$1 == "total" {print $2}' "$w/by-mapping")
    [ -n "$alone" ] || alone=0
    [ -n "${MEASURE_WINDOW_SMAPS:-}" ] && mkdir -p "$MEASURE_WINDOW_SMAPS" &&
      cp "$w/by-mapping" "$MEASURE_WINDOW_SMAPS/$kind.$pid.by-mapping" || true
  fi
  for p in $pids; do
    # MEASURE_WINDOW_SMAPS=DIR keeps each process's smaps, to see where its PSS goes.
    [ -n "${MEASURE_WINDOW_SMAPS:-}" ] && mkdir -p "$MEASURE_WINDOW_SMAPS" &&
      cp "/proc/$p/smaps" "$MEASURE_WINDOW_SMAPS/$kind.$(cat "/proc/$p/comm" 2>/dev/null | tr -c 'A-Za-z\n' _).$p" 2>/dev/null || true
    k=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    comm=$(cat "/proc/$p/comm" 2>/dev/null || echo gone)
    case $comm in
      WebKitNetworkPr) net=$((net + k)) ;;
      WebKitWebProces) web=$((web + k)) ;;
      *) main=$((main + k)) ;;
    esac
  done
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true
  [ "$status" = ok ] || { echo "measure-window: $kind: $status" >&2; tail -30 "$w/log" >&2; }
  awk -v k="$kind" -v t=$((t1 - t0)) -v m="$main" -v n="$net" -v w="$web" -v a="$alone" -v s="$status" \
    'BEGIN { printf "%s %d %.1f %.1f %.1f %.1f %.1f %s\n", k, t, (m+n+w)/1024, m/1024, n/1024, w/1024, a, s }'
}

# The page cache of a file just written (a fresh build, an install) may hold it in
# large folios, and a fault maps a whole folio: the first starts of a freshly
# linked hush showed 10 MiB more of its executable resident than after the kernel
# had read it back itself. So each measured executable starts from the state of a
# fresh boot, read back by the kernel's readahead.
dd if="$bin" iflag=nocache count=0 status=none
dd if="$tmp/webkit-floor" iflag=nocache count=0 status=none

echo "measure-window: $(date -u '+%F %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
  "other WebKit processes in sight: $(pgrep -c WebKit || true) (those of other containers on the host are not)"
echo "kind ttw_ms pss_MiB main net web alone_MiB status"
for i in $(seq "$runs"); do
  run hush
  run floor
  if [ "$chat" -gt 0 ]; then run chat; fi
done | tee "$tmp/results"
echo "medians (of $runs):"
for kind in hush floor chat; do
  grep -q "^$kind .* ok$" "$tmp/results" || continue
  for col in 2 3 4 5 6 7; do
    grep "^$kind .* ok$" "$tmp/results" | awk -v c=$col '{print $c}' | sort -g |
      awk '{a[NR] = $1} END { printf "%s ", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
  done | awk -v k="$kind" '{ printf "  %-5s ttw %d ms, PSS %.1f MiB (main %.1f, network %.1f, web %.1f), alone %.1f MiB\n", k, $1, $2, $3, $4, $5, $6 }'
done
echo "measure-window: $(date -u '+%H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

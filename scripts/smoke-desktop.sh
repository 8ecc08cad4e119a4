#!/usr/bin/env bash
# Desktop smoke test: start the real Wails binary under Xvfb on a fresh data
# directory and prove the window rendered the welcome screen — the window is found
# by its title, the page asked Go for its status (the welcome screen's first call),
# and a screenshot of the window is not a uniform colour, and the GPU driver stayed
# out of the window's own process. Then it creates an account from the window, waits
# for the window to hand back its code pages once quiet, and closes and reopens the
# window to see it keep its size.
# It also prints cold-start figures: time until the window is mapped and until the
# welcome screen has painted, and memory (PSS summed over the app's processes).
# Usage: scripts/smoke-desktop.sh path/to/hush [screenshot.png]
set -euo pipefail
bin=$(realpath "$1")
shot=${2:-$(mktemp -d)/hush-smoke.png}
[ -x "$bin" ] || { echo "smoke: $bin is not an executable" >&2; exit 1; }

inner=$(mktemp)
cat >"$inner" <<'INNER'
set -euo pipefail
bin=$1 shot=$2 here=$3
work=$(mktemp -d)
export HOME=$work/home XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data XDG_CACHE_HOME=$work/cache
mkdir -p "$HOME"
now_ms() { date +%s%3N; }
descendants() { # a process and all its descendants
  local p
  echo "$1"
  for p in $(pgrep -P "$1" || true); do descendants "$p"; done
}
pss_kb() { # PSS of a process tree, in KiB
  local total=0 p
  for p in $(descendants "$1"); do
    [ -r /proc/$p/smaps_rollup ] && total=$((total + $(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup)))
  done
  echo $total
}
t0=$(now_ms)
"$bin" --data-dir "$work/hush" --log-level debug >"$work/out.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
win=""
for _ in $(seq 1 1000); do  # up to ~10 s
  win=$(xdotool search --onlyvisible --name '^Hush$' 2>/dev/null | head -1 || true)
  [ -n "$win" ] && break
  kill -0 $pid 2>/dev/null || { echo "smoke: hush exited early:"; cat "$work/out.log"; exit 1; }
  sleep 0.01
done
t_map=$(now_ms)
[ -n "$win" ] || { echo "smoke: no window titled Hush appeared"; cat "$work/out.log"; exit 1; }
# The welcome screen has painted once the page has asked Go for its status (its
# first call; the screen renders in the frame after the answer) and the window shows
# more than its background colour. The time comes from the log line's own timestamp,
# because a screenshot takes longer than the thing it would measure.
painted=""
for _ in $(seq 1 500); do  # up to ~10 s
  if grep -q 'msg=status state=new' "$work/out.log"; then
    import -silent -window "$win" "$shot" 2>/dev/null || true
    sd=$(convert "$shot" -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)
    if awk -v s="$sd" 'BEGIN { exit !(s > 0.02) }'; then painted=1; break; fi
  fi
  sleep 0.02
done
[ -n "$painted" ] || { echo "smoke: the welcome screen never painted (last screenshot: $shot)"; cat "$work/out.log"; exit 1; }
stamp=$(grep -m1 'msg=status state=new' "$work/out.log" | sed -E 's/^time=([^ ]+).*/\1/')
t_paint=$(date -d "$stamp" +%s%3N)
sleep 1
pss=$(pss_kb $pid)
echo "smoke: window mapped after $((t_map - t0)) ms; welcome screen painted after $((t_paint - t0)) ms"
echo "smoke: memory at the welcome screen: $((pss / 1024)) MiB PSS (hush and its WebKit processes)"
echo "smoke: screenshot $shot (standard deviation $sd)"
# The window's own process never draws with OpenGL (no GPU compositing), so the
# GPU driver stays out of it (keepGLOutOfWindowProcess, desktop.go); the web
# process, which needs an EGL display, still has one.
if gl=$(grep -oE '[^/]*(libLLVM|_dri\.so|libEGL_mesa|libGLX_mesa)[^ ]*' /proc/$pid/maps | sort -u | tr '\n' ' ') && [ -n "$gl" ]; then
  echo "smoke: the window's process loaded the GPU driver: $gl"; exit 1
fi
web=$(pgrep -P $pid -f WebKitWebProcess | head -1)
grep -q 'libEGL_mesa' /proc/$web/maps || { echo "smoke: the web process has no EGL driver"; exit 1; }
echo "smoke: no GPU driver in the window's process; the web process has its EGL driver"
# Drive the welcome form through the real window, as a person would: the name field
# has focus; Enter in the confirmation field submits.
xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"
xdotool type --delay 5 "Smoke Test"
xdotool key Tab
xdotool type --delay 5 "smoke test passphrase 42"
xdotool key Tab
xdotool type --delay 5 "smoke test passphrase 42"
xdotool key Return
for _ in $(seq 1 500); do  # up to ~25 s (Argon2id calibration included)
  grep -q 'msg="account created"' "$work/out.log" && break
  sleep 0.05
done
grep -q 'msg="account created"' "$work/out.log" || { echo "smoke: creating an account from the window failed"; cat "$work/out.log"; exit 1; }
sleep 1
pss=$(pss_kb $pid)
echo "smoke: account created from the window; memory after unlock: $((pss / 1024)) MiB PSS"
# Once quiet, the window hands back the executable's pages the start and the
# account's creation mapped (desktoptrim.go, package memtrim): a release after the
# account was created must show in the log, with less mapped than before.
released=""
for _ in $(seq 1 300); do  # up to ~30 s
  released=$(sed -n '/msg="account created"/,$p' "$work/out.log" | grep -m1 'msg="code pages released"' || true)
  [ -n "$released" ] && break
  sleep 0.1
done
[ -n "$released" ] || { echo "smoke: the window never released its code pages"; cat "$work/out.log"; exit 1; }
before=$(sed -E 's/.*mappedKiB=([0-9]+).*/\1/' <<<"$released") after=$(sed -E 's/.*nowKiB=([0-9]+).*/\1/' <<<"$released")
[ "$after" -lt "$before" ] || { echo "smoke: the release left $after of $before KiB mapped"; exit 1; }
echo "smoke: code pages released once quiet: $before KiB of the executable mapped, $after KiB after"
# The window opens at the default size, and at the size it was closed at the next
# time (windowstate.go).
geometry() { xdotool getwindowgeometry "$1" | sed -nE 's/.*Geometry: ([0-9]+x[0-9]+).*/\1/p'; }
[ "$(geometry "$win")" = 900x640 ] || { echo "smoke: the first window is $(geometry "$win"), not 900x640"; exit 1; }
xdotool windowsize "$win" 1000 700
sleep 0.5
python3 "$here/x11-close.py" "$win"
for _ in $(seq 1 150); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { echo "smoke: hush did not quit after its window was closed"; exit 1; }
grep -q '"width":1000,"height":700' "$work/hush/window.json" || { echo "smoke: window.json: $(cat "$work/hush/window.json" 2>&1)"; exit 1; }
"$bin" --data-dir "$work/hush" --log-level debug >"$work/out2.log" 2>&1 &
pid=$!
win=""
for _ in $(seq 1 1000); do  # up to ~10 s
  win=$(xdotool search --onlyvisible --name '^Hush$' 2>/dev/null | head -1 || true)
  [ -n "$win" ] && break
  sleep 0.01
done
[ -n "$win" ] || { echo "smoke: no window at the second start"; cat "$work/out2.log"; exit 1; }
sleep 0.5
[ "$(geometry "$win")" = 1000x700 ] || { echo "smoke: the second window is $(geometry "$win"), not 1000x700"; exit 1; }
echo "smoke: the window reopened at the size it was closed at (1000x700)"
INNER
xvfb-run -a -s "-screen 0 1280x800x24" bash "$inner" "$bin" "$shot" "$(cd "$(dirname "$0")" && pwd)"
status=$?
rm -f "$inner"
exit $status

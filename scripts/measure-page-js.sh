#!/usr/bin/env bash
# What a piece of the UI's script costs the web process, measured in the bare
# WebKitGTK window (scripts/webkit-floor.c) rather than in Hush, so that nothing
# else moves: each NAME=JS is run once on an otherwise empty page, and the web
# process's PSS is read 4 s after the window mapped (docs/PERFORMANCE.md, "Desktop
# cold start and memory": what showing times costs).
#
# Usage: scripts/measure-page-js.sh [--runs N] NAME=JS...
#   e.g. scripts/measure-page-js.sh 'date=new Date().getHours()' \
#          'dtf=new Intl.DateTimeFormat(undefined,{hour:"2-digit",minute:"2-digit"}).format(0)'
#
# Every round runs "base" (an empty script) and then each NAME=JS, each on its own
# Xvfb (1280x800x24) with a fresh HOME, compositing off and JavaScriptCore's JIT off
# (as Hush runs). Prints each run, then per name the median PSS and its difference
# from base. PSS splits a shared page with every process mapping it: run it with no
# other WebKit window open. Needs Xvfb, xdotool, cc, pkg-config, libwebkit2gtk-4.1-dev.
set -euo pipefail

runs=3
if [ "${1:-}" = --runs ]; then runs=$2; shift 2; fi
[ $# -ge 1 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/xvfb.sh
. "$here/xvfb.sh"
tmp=$(mktemp -d -t measure-page-js.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/webkit-floor" "$here/webkit-floor.c" $(pkg-config --cflags --libs webkit2gtk-4.1)

names=(base) scripts=("")
for arg in "$@"; do
  case $arg in
    *=*) names+=("${arg%%=*}"); scripts+=("${arg#*=}") ;;
    *) echo "measure-page-js: $arg is not NAME=JS" >&2; exit 2 ;;
  esac
done

# one NAME JS: prints "NAME PSS_MiB" of the web process, or "NAME failed".
one() {
  local name=$1 js=$2 w="$tmp/run" dpy="" xvfb="" pid p pss=""
  rm -rf "$w"; mkdir -p "$w/home" "$w/runtime"; chmod 700 "$w/runtime"
  # A thrown error goes to the page's console, which webkit-floor writes to its output.
  printf '<!doctype html><html><body><p id="o">page</p><script>\ntry { %s\n} catch (e) { console.log("measure-page-js: threw " + e); }\n</script></body></html>\n' "$js" >"$w/page.html"
  start_xvfb || { echo "$name failed (no display)"; return; }
  setsid env -i PATH="$PATH" LANG=C.UTF-8 HOME="$w/home" XDG_RUNTIME_DIR="$w/runtime" \
    DISPLAY="$dpy" WEBKIT_DISABLE_COMPOSITING_MODE=1 JSC_useJIT=0 \
    "$tmp/webkit-floor" "file://$w/page.html" </dev/null >"$w/log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    DISPLAY=$dpy xdotool search --onlyvisible --name '^webkit-floor$' >/dev/null 2>&1 && break
    sleep 0.02
  done
  sleep 4
  if grep -q 'measure-page-js: threw' "$w/log"; then
    pss=""
  else
    for p in $(pgrep -s "$pid" || true); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = WebKitWebProces ] &&
        pss=$(awk '/^Pss:/ {printf "%.2f", $2 / 1024}' "/proc/$p/smaps_rollup")
    done
  fi
  kill -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true
  if [ -n "$pss" ]; then
    echo "$name $pss"
  else
    echo "$name failed: $(grep -o 'measure-page-js: threw.*' "$w/log" | head -1 || echo 'no web process')"
  fi
}

echo "measure-page-js: $(date -u '+%Y-%m-%d %H:%M') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
  for i in "${!names[@]}"; do one "${names[$i]}" "${scripts[$i]}"; done
done | tee "$tmp/results"

median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
base=$(awk '$1 == "base" && $2 ~ /^[0-9.]+$/ {print $2}' "$tmp/results" | median)
echo "medians (of $runs), web process PSS:"
for name in "${names[@]}"; do
  m=$(awk -v n="$name" '$1 == n && $2 ~ /^[0-9.]+$/ {print $2}' "$tmp/results" | median)
  if [ "$m" = - ] || [ "$base" = - ]; then
    echo "  $name: no run succeeded"
  else
    awk -v n="$name" -v m="$m" -v b="$base" 'BEGIN {printf "  %-12s %7.2f MiB  (%+.2f over base)\n", n, m, m - b}'
  fi
done

#!/usr/bin/env bash
# Opens the Hush window, with a relay on this computer (127.0.0.1:8443, the app's
# default relay address) started first unless one already listens there, so that a
# newcomer can chat between two windows on one machine at once.
# Usage: scripts/run.sh [--demo] [hush flags…]
#   --demo   also open a second window with its own data directory (a second person)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/hush
state=${XDG_STATE_HOME:-$HOME/.local/state}/hush-dev
mkdir -p "$state"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if ! (exec 3<>/dev/tcp/127.0.0.1/8443) 2>/dev/null; then
  "$bin" relay --listen 127.0.0.1:8443 --db "$state/relay.db" >"$state/relay.log" 2>&1 &
  pids+=($!)
  echo "run: relay on ws://127.0.0.1:8443 (log: $state/relay.log)"
fi

if [ "${1:-}" = --demo ]; then
  shift
  "$bin" --data-dir "$state/second-person" "$@" &
  pids+=($!)
fi
"$bin" "$@"

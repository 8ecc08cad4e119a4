#!/usr/bin/env bash
# Installs what building and testing Hush needs, and nothing twice: Debian packages,
# the pinned Wails CLI (into .tools/bin) and the frontend's npm packages.
# Usage: scripts/deps.sh [build|test|dist]   (test adds the packages only tests need;
#        dist those that packaging needs: NSIS for the Windows installer, zip)
set -euo pipefail
cd "$(dirname "$0")/.."

WAILS_VERSION=v2.16.0
what=${1:-build}

pkgs=(gcc pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev)
if [ "$what" = test ]; then
  # postgresql: the relay's tests start a throwaway cluster (internal/pgtest).
  # python3: scripts/x11-close.py closes a window as its close button does.
  # dbus-daemon: the badge's test starts a private session bus (badge/; the
  # daemon alone, not Debian's "dbus", which adds the system bus's service).
  pkgs+=(xvfb xauth imagemagick xdotool age chromium fonts-noto-color-emoji postgresql python3 dbus-daemon)
fi
if [ "$what" = dist ]; then
  pkgs+=(nsis zip)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null; then
  echo "deps: Go 1.26 or newer is required (https://go.dev/dl/)" >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "deps: Node.js 20 and npm are required" >&2
  exit 1
fi

# grep reads to the end (no -q): an early exit would SIGPIPE the writer, and
# pipefail would then count a match as a miss.
if ! .tools/bin/wails version 2>/dev/null | grep "$WAILS_VERSION" >/dev/null; then
  echo "deps: installing the Wails CLI $WAILS_VERSION"
  GOBIN="$PWD/.tools/bin" go install "github.com/wailsapp/wails/v2/cmd/wails@$WAILS_VERSION"
fi

NFPM_VERSION=v2.48.0
if [ "$what" = dist ] && ! go version -m .tools/bin/nfpm 2>/dev/null | grep "goreleaser/nfpm/v2[[:space:]]*$NFPM_VERSION" >/dev/null; then
  echo "deps: installing nfpm $NFPM_VERSION"
  GOBIN="$PWD/.tools/bin" go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"
fi

# npm ci only when the lock file changed since the last install.
stamp=frontend/node_modules/.hush-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s frontend/package-lock.json "$stamp"; then
  echo "deps: installing frontend packages"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
  cp frontend/package-lock.json "$stamp"
fi

#!/usr/bin/env bash
# The .deb as users get it: unpack it with dpkg -x into an empty root, check its
# files and that every library the binary loads comes from a package its Depends
# line pulls in, then start the unpacked binary under Xvfb with the desktop smoke
# test (the window maps and the welcome screen works).
# Usage: scripts/deb-test.sh path/to/hush_VERSION_amd64.deb
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb=$(realpath "$1")
t0=$(date +%s)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
for f in usr/bin/hush usr/share/applications/hush.desktop usr/share/icons/hicolor/scalable/apps/hush.svg usr/share/pixmaps/hush.png; do
  [ -e "$root/$f" ] || { echo "deb-test: $f missing from the package"; exit 1; }
done
[ -x "$root/usr/bin/hush" ] || { echo "deb-test: usr/bin/hush is not executable"; exit 1; }
grep -qx 'Exec=hush' "$root/usr/share/applications/hush.desktop" || { echo "deb-test: the desktop entry does not start hush"; exit 1; }
grep -qx 'Icon=hush' "$root/usr/share/applications/hush.desktop" || { echo "deb-test: the desktop entry names another icon"; exit 1; }

# Depends must cover every shared library: the packages that own them must be in
# the closure of what Depends names (first alternative of each, as installed here).
depends=$(dpkg-deb -f "$deb" Depends)
direct=$(echo "$depends" | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep -v '^$')
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $direct 2>/dev/null | grep -v '^[[:space:]]' | sed 's/:.*//' | sort -u)
missing=""
while read -r lib; do
  owner=$(dpkg -S "$(realpath "$lib")" 2>/dev/null | head -1 | cut -d: -f1) ||
    owner=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$owner" ] || { missing+=" $lib(no package)"; continue; }
  grep -qx "$owner" <<<"$closure" || missing+=" $lib($owner)"
done < <(ldd "$root/usr/bin/hush" | awk '/=> \// {print $3}')
[ -z "$missing" ] || { echo "deb-test: libraries not covered by Depends ($depends):$missing"; exit 1; }
echo "deb-test: package contents and Depends ($depends) check out"

"$here/smoke-desktop.sh" "$root/usr/bin/hush"
echo "deb-test: the unpacked binary opened its window; $(( $(date +%s) - t0 )) s"

# Sourced by the measuring scripts (measure-window.sh, measure-page-js.sh): one
# virtual display per run.

# start_xvfb starts an Xvfb (1280x800x24) on a display number nobody serves and
# sets the caller's dpy (":N") and xvfb (its pid); it returns 1, dpy empty, if
# none could be had. Another container's Xvfb can hold a number that looks free
# here, so a number is taken only once a client can talk to our server on it; an
# Xvfb that exits lost a race, and the next number is tried.
start_xvfb() {
  local n
  dpy=""
  for n in $(seq $((200 + RANDOM % 500)) 999); do
    DISPLAY=":$n" xdotool getdisplaygeometry >/dev/null 2>&1 && continue
    Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp </dev/null >/dev/null 2>&1 &
    xvfb=$!
    for _ in $(seq 100); do
      kill -0 "$xvfb" 2>/dev/null || break
      DISPLAY=":$n" xdotool getdisplaygeometry >/dev/null 2>&1 && { dpy=":$n"; return 0; }
      sleep 0.05
    done
    kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true
  done
  return 1
}

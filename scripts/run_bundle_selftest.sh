#!/usr/bin/env bash
# Run the bundled app's --self-test, the way a facilitator's machine would start it.
#
#   scripts/run_bundle_selftest.sh [BUNDLE_DIR]     (default: dist/tankesmedja)
#
# 1. offscreen (no display needed): server, page, one join, one PDF, console window;
# 2. if xvfb-run is installed, again on a virtual X screen with Qt's xcb plugin, which is what
#    a Linux desktop loads: this proves the bundle's xcb plugin and its libraries load.
# Each run must exit 0 and print the four "self-test: ...: ok" lines. Exits non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=${1:-dist/tankesmedja}
EXE=$BUNDLE/tankesmedja
[[ -x $EXE ]] || { echo "run_bundle_selftest: no bundle at $EXE (scripts/build_bundle.sh)" >&2; exit 2; }

# Run from a folder outside the checkout, so nothing can be found in the source tree by accident.
HERE=$(pwd)
cd "${TMPDIR:-/tmp}"
[[ $EXE == /* ]] || EXE=$HERE/$EXE

check() {  # check LABEL COMMAND...
  local label=$1 out rc=0
  shift
  out=$(timeout 120 "$@" 2>&1) || rc=$?
  printf '%s\n' "$out" | sed "s/^/  [$label] /"
  local oks
  oks=$(printf '%s\n' "$out" | grep -c '^self-test: .*: ok$' || true)
  if [[ $rc != 0 || $oks != 4 ]]; then
    echo "run_bundle_selftest: $label FAILED (exit $rc, $oks of 4 ok lines)" >&2
    return 1
  fi
  echo "run_bundle_selftest: $label passed"
}

check offscreen env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen "$EXE" --self-test
if command -v xvfb-run >/dev/null; then
  check xcb xvfb-run -a -s "-screen 0 1280x800x24" env -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb \
    "$EXE" --self-test
else
  echo "run_bundle_selftest: xvfb-run not installed, xcb run skipped"
fi

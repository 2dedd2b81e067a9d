#!/usr/bin/env bash
# Build the one-folder app (dist/tankesmedja/) with PyInstaller on Linux, then run its self-test.
#
#   scripts/build_bundle.sh            build in build/venv (made once, reused), then self-test
#   scripts/build_bundle.sh --clean    start from a new venv and an empty PyInstaller work folder
#   scripts/build_bundle.sh --archive  also pack dist/tankesmedja-<version>-linux-<arch>.tar.gz
#
# Environment: PYTHON (default python3; 3.11+ with a shared libpython: pyenv's has one, Debian's
# needs the libpython3.11 package, installed below if missing), BUNDLE_VENV (default build/venv).
# Exits non-zero if the build or the bundled self-test fails. Prints build time and size.
# docs/building.md explains the steps, and how to build on Windows and macOS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CLEAN=0
ARCHIVE=0
for arg in "$@"; do
  case "$arg" in
    --clean) CLEAN=1 ;;
    --archive) ARCHIVE=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build_bundle: unknown option $arg" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
VENV=${BUNDLE_VENV:-$ROOT/build/venv}
WORK=$ROOT/build/pyinstaller
DIST=$ROOT/dist
START=$(date +%s)

say() { printf 'build_bundle: %s\n' "$*" >&2; }

# --- Tools PyInstaller needs on Linux -------------------------------------------------------
# objdump (binutils) classifies binaries and strip shrinks them; python3-venv makes the venv;
# the shared libpython goes into the bundle (Debian's python3 links it statically, the shared
# one is the libpython3.X package). On a bare Debian these may be missing: install them when
# we can (root + apt), else say how.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  say "Python 3.11 or newer is needed ($("$PYTHON" --version 2>&1) found; set PYTHON=...)"
  exit 2
}
missing=()
command -v objdump >/dev/null || missing+=(binutils)
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
libpython=$("$PYTHON" - <<'EOF'
import glob, os, sys, sysconfig
v = f"{sys.version_info.major}.{sys.version_info.minor}"
dirs = {sysconfig.get_config_var("LIBDIR") or "", sys.base_prefix + "/lib",
        os.path.join("/usr/lib", sysconfig.get_config_var("MULTIARCH") or "")}
found = any(glob.glob(os.path.join(d, f"libpython{v}*.so*")) for d in dirs if d)
print("" if found else f"libpython{v}")
EOF
)
[[ -n $libpython ]] && missing+=("$libpython")
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  else
    say "missing ${missing[*]}: sudo apt-get install ${missing[*]}"
    exit 2
  fi
fi

# --- Isolated build venv --------------------------------------------------------------------
# Separate from the dev/test venv so that only the app's own dependencies can end up in the
# bundle (pytest, playwright... would otherwise be found by optional imports). NumPy is a
# dependency (the grouping engine's tabu search) and is bundled.
if ((CLEAN)); then
  rm -rf "$VENV" "$WORK"
fi
if [[ ! -x $VENV/bin/python ]]; then
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
say "installing the project with the bundle extra"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "$ROOT[bundle]"
PIP_DONE=$(date +%s)

# --- PyInstaller ----------------------------------------------------------------------------
say "running PyInstaller ($("$VENV/bin/pyinstaller" --version))"
rm -rf "$DIST/tankesmedja"
LOG=$ROOT/build/pyinstaller.log
mkdir -p "$ROOT/build"
if ! "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" build.spec >"$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  say "PyInstaller failed (full log: $LOG)"
  exit 1
fi
# Warnings worth a look (missing modules the app may need); the full list is in the log.
grep -E "WARNING|ERROR" "$LOG" | grep -vE "Library (shell32|ole32|user32|kernel32)" >&2 || true
BUILT=$(date +%s)

# --- Self-test of the bundle ----------------------------------------------------------------
scripts/run_bundle_selftest.sh "$DIST/tankesmedja"
END=$(date +%s)

VERSION=$("$VENV/bin/python" -c 'import re,pathlib;print(re.search(r"__version__ = \"(.+)\"", pathlib.Path("app/__init__.py").read_text()).group(1))')
if ((ARCHIVE)); then
  TARBALL=$DIST/tankesmedja-$VERSION-linux-$(uname -m).tar.gz
  tar -C "$DIST" -czf "$TARBALL" tankesmedja
  say "archive: $TARBALL ($(du -h "$TARBALL" | cut -f1))"
fi

FILES=$(find "$DIST/tankesmedja" -type f | wc -l)
SIZE=$(du -sh "$DIST/tankesmedja" | cut -f1)
echo "bundle: $DIST/tankesmedja ($SIZE in $FILES files, tankesmedja $VERSION)"
echo "build time: $((END - START)) s (venv+pip $((PIP_DONE - START)) s," \
  "pyinstaller $((BUILT - PIP_DONE)) s, self-test $((END - BUILT)) s)"

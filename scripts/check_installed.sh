#!/usr/bin/env bash
# What a user gets: the README's install command on a clean copy, then the installed app run
# from a folder outside the checkout (so the sources are not on sys.path).
#
#   scripts/check_installed.sh
#
# 1. A clean copy of what is committed (git archive HEAD: no build/ or stray files can hide a
#    module missing from the wheel); the wheel built from it holds every module and data file
#    (scripts/check_wheel.py).
# 2. The README's first command, literally, in that copy: it installs and starts the console;
#    we wait for the join address, then stop it (SIGTERM, as a logout does) and expect exit 0.
#    Under Xvfb when xvfb-run is there (a real X window), else Qt offscreen.
# 3. From another folder, with that venv's `tankesmedja` (the wheel, not the checkout):
#    --version, --self-test, simulate, export on the simulated data, groups on a roster.
# HOME and the XDG folders point into a temporary folder: nothing of the user's is touched.
# Prints each step; exits non-zero at the first failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tankesmedja-installed.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
say() { printf 'check_installed: %s\n' "$*" >&2; }
START=$(date +%s)

# pip's download cache stays the machine's own (a fresh HOME would make it download again).
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$(python3 -m pip cache dir 2>/dev/null || true)}
CLONE=$WORK/clone
mkdir -p "$CLONE" "$WORK/home" "$WORK/elsewhere"
git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$CLONE"
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_DATA_HOME=$WORK/home/.local/share
export XDG_STATE_HOME=$WORK/home/.local/state XDG_CACHE_HOME=$WORK/home/.cache
export PIP_DISABLE_PIP_VERSION_CHECK=1

say "1. the wheel built from a clean copy holds every module and data file"
python3 -m pip wheel -q --no-deps -w "$WORK/wheel" "$CLONE" >/dev/null
(cd "$ROOT" && python3 scripts/check_wheel.py "$WORK"/wheel/tankesmedja-*.whl)

say "2. the README's first command, literally, in the clean copy"
readme_cmd=$(grep -m1 -E '^python3 -m venv \.venv && .*pip install \. && tankesmedja$' \
  "$CLONE/README.md") || { say "README.md has no install-and-start command"; exit 1; }
say "   \$ $readme_cmd"
if command -v xvfb-run >/dev/null; then
  runner=(xvfb-run -a -s "-screen 0 1920x1080x24")
  export QT_QPA_PLATFORM=xcb
else
  runner=()
  export QT_QPA_PLATFORM=offscreen
fi
log=$WORK/console.log
(cd "$CLONE" && exec "${runner[@]}" bash -c "$readme_cmd" >"$log" 2>&1) &
pid=$!
for _ in $(seq 1 600); do
  grep -q "Join address: http://" "$log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if ! grep -q "Join address: http://" "$log"; then
  say "the console did not start; its output:"; cat "$log" >&2; kill "$pid" 2>/dev/null; exit 1
fi
grep -m1 "Join address" "$log" | sed -E 's/#t=[^ ]+/#t=…/' >&2
# Stop the console itself (the Python process under bash and xvfb-run), as a logout would.
console=$(pgrep -f "$CLONE/.venv/bin/tankesmedja" | head -1)
kill -TERM "$console"
status=0
wait "$pid" || status=$?
if [[ $status != 0 ]]; then
  say "the console did not stop cleanly (exit $status); its output:"; cat "$log" >&2; exit 1
fi
say "   started, showed the join address, stopped cleanly (exit 0)"
[[ -f $XDG_DATA_HOME/tankesmedja/tankesmedja.sqlite3 ]] || { say "no workshop database"; exit 1; }

say "3. the installed app from another folder"
export QT_QPA_PLATFORM=offscreen
BIN=$CLONE/.venv/bin
cd "$WORK/elsewhere"
"$BIN/python" - <<'EOF'
import app, pathlib, sys
where = pathlib.Path(app.__file__).resolve()
print(f"check_installed:    app is imported from {where.parent}", file=sys.stderr)
assert "site-packages" in where.parts, "the checkout, not the wheel, is on sys.path"
EOF
"$BIN/tankesmedja" --version
"$BIN/tankesmedja" --self-test
"$BIN/tankesmedja" simulate --participants 12 --seed 1 --data-dir "$WORK/sim" | tail -3
"$BIN/tankesmedja" export --data-dir "$WORK/sim" --session 1 --out "$WORK/export" >/dev/null
pdfs=$(find "$WORK/export" -name '*.pdf' | wc -l)
say "   export wrote $pdfs PDFs and $(find "$WORK/export" -type f ! -name '*.pdf' | wc -l) other files"
((pdfs >= 2)) || { say "the export wrote no PDFs"; exit 1; }
cat >roster.csv <<'EOF'
id;name;municipality;role;attendance
1;Anna;Uddevalla;förtroendevald;på plats
2;Bo;Uddevalla;tjänsteperson;på plats
3;Cecilia;Tanum;förtroendevald;på plats
4;David;Tanum;tjänsteperson;på plats
5;Eva;Lysekil;förtroendevald;på plats
6;Fredrik;Lysekil;tjänsteperson;på plats
7;Greta;Åmål;förtroendevald;på plats
8;Hans;Åmål;tjänsteperson;på plats
EOF
"$BIN/tankesmedja" groups --roster roster.csv --size 4 --rounds 2 --format csv >groups.csv
say "   groups: $(($(wc -l <groups.csv) - 1)) placements for 8 people over 2 rounds"
[[ $(($(wc -l <groups.csv) - 1)) == 16 ]] || { cat groups.csv >&2; exit 1; }
say "all steps passed in $(($(date +%s) - START)) s"

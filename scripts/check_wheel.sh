#!/usr/bin/env bash
# The wheel works on its own: build it, install it into a fresh virtual environment outside
# the checkout, and from an empty folder holding only a config.toml run `newsletter preview`
# and `newsletter send` with the file provider. Prints what it did and how long each step took.
#
#   scripts/check_wheel.sh [PYTHON]        (make wheel-check)
#
# The config points at the repository's bundled snapshots (read only); everything else the
# program reads (templates, rules, migrations) must come from the installed package.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-python3}"
work="$(mktemp -d /tmp/newsletter-wheel.XXXXXX)"
trap 'rm -rf "$work"' EXIT

step() { printf '\nwheel-check: %s\n' "$*"; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "wheel-check:   took %.1f s\n", b - a }'; }

step "build the wheel"
t=$(now)
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$repo"
wheel=$(ls "$work"/dist/newsletter-*.whl)
took "$t"
echo "wheel-check:   $(basename "$wheel"): $(du -k "$wheel" | cut -f1) KB," \
  "$("$python" -m zipfile -l "$wheel" | grep -c '_resources/templates/') templates," \
  "$("$python" -m zipfile -l "$wheel" | grep -c '_resources/rules/.*\.yaml') rules files," \
  "$("$python" -m zipfile -l "$wheel" | grep -c 'store/migrations/versions/.*\.py') migrations," \
  "$("$python" -m zipfile -l "$wheel" | grep -c '_resources/docs/signals') signals docs"

step "install it into a fresh virtual environment outside the checkout ($work/venv)"
t=$(now)
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet "$wheel"
took "$t"

site="$work/site"
mkdir -p "$site"
latest=$(basename "$(ls "$repo"/snapshots/*.parquet | tail -n 1)" .parquet)
cat >"$site/config.toml" <<EOF
[newsletter]
postal_address = "AI Jobs Weekly, 548 Market St #12345, San Francisco, CA 94104"
base_url = "https://news.example.com"

[data]
snapshots_dir = "$repo/snapshots"

[delivery]
provider = "file"
EOF
cd "$site"
# Nothing from the checkout on the path: the installed package, its own templates and rules.
unset PYTHONPATH NEWSLETTER_CONFIG NEWSLETTER_SECRET_KEY
nl="$work/venv/bin/newsletter"
where=$("$work/venv/bin/python" -c 'import newsletter; print(newsletter.__file__)')
case "$where" in
  "$work"/venv/*) echo "wheel-check:   newsletter is imported from $where" ;;
  *) echo "wheel-check: FAILED: newsletter is imported from $where, not the fresh venv" >&2; exit 1 ;;
esac
echo "wheel-check:   the folder holds: $(ls -A "$site")"

step "newsletter --help"
t=$(now)
"$nl" --help >/dev/null
took "$t"

step "newsletter preview --out preview/issue.html"
t=$(now)
"$nl" preview --out preview/issue.html
took "$t"
test -s preview/issue.html && test -s preview/issue.txt
grep -q "548 Market St" preview/issue.html
echo "wheel-check:   preview/issue.html $(wc -c <preview/issue.html) bytes, issue.txt $(wc -c <preview/issue.txt) bytes"

step "newsletter archive --out archive (pages, signals JSON, Atom feed, methodology from the shipped docs)"
t=$(now)
"$nl" archive --out archive >/dev/null
took "$t"
test -s archive/index.html && test -s archive/feed.xml && test -s "archive/$latest.json"
grep -q "Market signals: the JSON contract" archive/methodology.html
grep -q '<feed xmlns="http://www.w3.org/2005/Atom"' archive/feed.xml
echo "wheel-check:   archive: $(ls archive | wc -l) files, methodology.html $(wc -c <archive/methodology.html) bytes"

step "newsletter subscribers add (two readers)"
"$nl" subscribers add dana@example.com --name Dana --metro Seattle
"$nl" subscribers add lee@example.com

step "newsletter send --week $latest (file provider)"
t=$(now)
"$nl" send --week "$latest"
took "$t"
sent=$(find state/outbox -name '*.eml' | wc -l)
echo "wheel-check:   $sent message(s) in state/outbox"
test "$sent" -eq 2
grep -q "^List-Unsubscribe-Post: List-Unsubscribe=One-Click" "$(find state/outbox -name '*.eml' | head -n 1)"

step "newsletter send --week $latest again (the ledger remembers: nothing is sent twice)"
"$nl" send --week "$latest" | tee "$work/again.txt"
grep -q "already sent" "$work/again.txt"
test "$(find state/outbox -name '*.eml' | wc -l)" -eq 2

printf '\nwheel-check: OK (the installed wheel previews and sends from a folder with only config.toml)\n'

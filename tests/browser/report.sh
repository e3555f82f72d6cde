#!/usr/bin/env bash
# prle report in a real browser: `prle report` on the fixture run folder (tests/data/report_run),
# then headless Chromium loads the page with its console logged to stderr. The page must log
# nothing to the console (no error, no blocked request: the page's Content-Security-Policy
# turns any reference outside it into a console error) and its screenshot must show a page,
# not a blank one (tests/browser/png_stats.py decodes the PNG with zlib alone).
# The checks are shown to bite first: pages with console.error, an uncaught exception and a
# blocked image must be caught, and a blank page's screenshot must fail the blankness test.
# Each figure of the errors and intervals sections is then drawn alone and must show its data
# (an axes-only copy must not).
# Chromium is part of the test set of scripts/deps.sh; without it this test FAILS.
# Usage: report.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.bash"
cd "$tmp" || exit 1
chromium=${PRLE_CHROMIUM:-/usr/bin/chromium}
python=/usr/bin/python3
fixture=${PRLE_TEST_DATA:-$here/../data}/report_run

if [ ! -x "$chromium" ]; then
  fail "chromium: $chromium not found; install it with scripts/deps.sh test (Debian package chromium)"
  finish; exit 1
fi
if [ ! -x "$python" ]; then
  fail "python: $python not found (Debian package python3)"; finish; exit 1
fi

# Loads file $1 in headless Chromium; console and log lines go to $1.log, the screenshot to
# $1.png. Every request outside the machine is sent to a closed local port, so even a missed
# background request of the browser never leaves it.
browse() {
  rm -f "$1.png" "$1.log"
  timeout 300 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$tmp/profile" --no-first-run --no-default-browser-check \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --disable-breakpad \
    --proxy-server=127.0.0.1:9 --enable-logging=stderr --v=0 \
    --window-size=1280,1600 --screenshot="$tmp/$1.png" "file://$tmp/$1" \
    >"$1.out" 2>"$1.log"
}
console_lines() { grep -E ':CONSOLE[:(]' "$1.log"; }
# true when the screenshot $1 shows a page: many colours, not one flat background, contrast
nonblank() {
  local s; s=$("$python" "$here/png_stats.py" "$1") || return 1
  read -r w h colours bg std accent <<<"$s"
  echo "$1: ${w}x${h}, $colours colours, background $bg, luminance std $std, accent $accent"
  awk -v c="$colours" -v b="$bg" -v s="$std" 'BEGIN { exit !(c >= 64 && b <= 0.97 && s >= 8) }'
}

# --- the checks bite --------------------------------------------------------------------------
policy="<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
printf '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>fine</p></body></html>\n' >clean.html
printf '<!DOCTYPE html><html><body><script>console.error("deliberate error");</script></body></html>\n' >logged.html
printf '<!DOCTYPE html><html><body><script>noSuchFunction();</script></body></html>\n' >thrown.html
printf '<!DOCTYPE html><html><head>%s</head><body><img src="missing.png" alt="x"></body></html>\n' "$policy" >blocked.html
printf '<!DOCTYPE html><html><head><style>body{background:#fff}</style></head><body></body></html>\n' >blank.html

browse clean.html
ok "clean page runs" test -s clean.html.png
ok "clean page logs nothing" test -z "$(console_lines clean.html)"
browse logged.html
if console_lines logged.html | grep -q 'deliberate error'; then pass; else
  fail "console.error is not caught"; cat logged.html.log; fi
browse thrown.html
if console_lines thrown.html | grep -q 'noSuchFunction'; then pass; else
  fail "an uncaught exception is not caught"; cat thrown.html.log; fi
browse blocked.html
if console_lines blocked.html | grep -qi 'refused\|content security policy'; then pass; else
  fail "a blocked request is not caught"; cat blocked.html.log; fi
browse blank.html
if nonblank blank.html.png; then fail "a blank page passes the non-blank check"; else pass; fi

# --- the report -------------------------------------------------------------------------------
mkdir run && cp "$fixture"/* run/ || fail "cannot copy the fixture $fixture"
check report 0 "$prle" report run --out report.html
contains report out "wrote report.html"
check report-default 0 "$prle" report run
ok "report.html in the run folder" cmp -s run/report.html report.html
check report-usage 2 "$prle" report
check report-missing 2 "$prle" report no-such-run
contains report-missing err "config.yaml"

browse report.html
ok "report screenshot written" test -s report.html.png
lines=$(console_lines report.html)
if [ -z "$lines" ]; then pass; else fail "the report logs to the console:"; echo "$lines"; fi
if nonblank report.html.png; then pass; else fail "the report's screenshot is blank"; fi
# the report's teal (bars, usage, header) is on screen: its CSS and SVG were rendered
acc=$("$python" "$here/png_stats.py" report.html.png | awk '{print $6}')
ok "report colours rendered ($acc accent pixels)" test "${acc:-0}" -ge 500
[ -n "${PRLE_KEEP_SCREENSHOT:-}" ] && cp report.html.png "$PRLE_KEEP_SCREENSHOT"

# --- each figure of issue 17 drawn alone: present, and non-empty on screen --------------------
# figure.py cuts <svg class="plot CLS"> out of the report into CLS.html with the report's CSS
# (drawn 600 px wide); the screenshot must show the figure's data colour: bars #21918c, dots
# #2c728e at 45 % opacity on white (#a0c0cc). An axes-only copy of a figure (its data removed)
# must fail the same check.
cat >figure.py <<'EOF'
import re, sys
html, cls, out = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], sys.argv[3]
css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
m = re.search(r'<svg class="plot %s".*?</svg>' % cls, html, re.S)
if not m:
    sys.exit("no figure %s" % cls)
svg = m.group(0)
if len(sys.argv) > 4:  # the axes alone: data dots and bars removed
    svg = re.sub(r'<path class="dot" d="[^"]*"/>', "", svg)
    svg = re.sub(r'<rect class="bar".*?</rect>', "", svg, flags=re.S)
    svg = re.sub(r'<circle class="mae"[^>]*/>', "", svg)
open(out, "w", encoding="utf-8").write(
    '<!DOCTYPE html><html><head><meta charset="utf-8"><style>%s svg{width:600px;height:auto}'
    "body{margin:0;background:#fff}</style></head><body>%s</body></html>\n" % (css, svg))
EOF
# figure page $1, its data colour $2: at least 200 pixels of it on screen (an axes-only
# figure shows under 100: antialiased ticks and text)
drawn() {
  local a; a=$("$python" "$here/png_stats.py" "$1.png" --accent "$2" | awk '{print $6}')
  echo "$1: $a pixels of $2"
  [ "${a:-0}" -ge 200 ]
}
for fig in pvt:#a0c0cc ebin:#21918c whist:#21918c cbin:#21918c; do
  cls=${fig%%:*} colour=${fig#*:}
  if "$python" figure.py report.html "$cls" "$cls.html"; then
    browse "$cls.html"
    if drawn "$cls.html" "$colour"; then pass; else fail "figure $cls is empty on screen"; fi
    ok "figure $cls logs nothing" test -z "$(console_lines "$cls.html")"
  else
    fail "figure $cls is missing from the report"
  fi
done
"$python" figure.py report.html pvt axes-only.html empty
browse axes-only.html
if drawn axes-only.html "#a0c0cc"; then fail "a figure without its data passes the check"; else pass; fi
finish

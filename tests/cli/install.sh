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
# nor llama.cpp's, ggml's or the C++ library's code linked into it (a program's own would clash)
ok only_api_exports bash -c "! nm -D --defined-only pfx/lib/libprle.so.0 | awk '{print \$3}' | grep -qv '^prle_'"
ok static_archive bash -c "nm pfx/lib/libprle.a 2>/dev/null | grep -q ' T prle_model_fit$'"
export PKG_CONFIG_PATH=$tmp/pfx/lib/pkgconfig
# a sanitized build's library needs the sanitizer runtime in the program too
san=()
grep -q '^PRLE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null &&
  san=(-fsanitize=address,undefined)
# a small run folder for examples/run_folder.c (hashing encoder, pairs)
pairs_tsvs 80 20 20
small_yaml install-fixture model.num_prototypes=4 train.train_batch_size=16 train.output_dir=runs
check fixture_run 0 "$prle" -q run small.yaml --no-analyze --no-report
for ex in "$src"/examples/*.c; do
  name=$(basename "$ex" .c)
  # shellcheck disable=SC2046 # pkg-config's output is a list of words
  check "build_$name" 0 cc -Wall -Wextra -Werror "${san[@]}" "$ex" -o "$name" \
    $(pkg-config --cflags --libs prle) -lm
  case $name in
    matrix)
      check run_matrix 0 env LD_LIBRARY_PATH="$tmp/pfx/lib" ./matrix
      contains run_matrix out "test RMSE" ;;
    run_folder)
      check run_run_folder 0 env LD_LIBRARY_PATH="$tmp/pfx/lib" ./run_folder \
        runs/small "the cat and the dog" "the cat and a dog"
      # the same prediction as prle predict, and three prototypes plus the rest
      want=$("$prle" predict runs/small --text "the cat and the dog" \
        --text2 "the cat and a dog" --format csv | awk -F, 'NR == 2 {printf "%.4f", $3}')
      contains run_run_folder out "prediction $want"
      contains run_run_folder out "1 other prototypes (weight"
      ;;
    *) check "run_$name" 0 env LD_LIBRARY_PATH="$tmp/pfx/lib" "./$name" ;;
  esac
done
# static: libprle.a by its path, then what `pkg-config --static` lists but -lprle (the system
# libraries stay shared; with the sanitizers the linker keeps every shared library named);
# the program needs no libprle.so (the README's line, in "The library from C")
# shellcheck disable=SC2046 # pkg-config's output is a list of words
check build_matrix_static 0 cc -Wall -Wextra -Werror "${san[@]}" "$src/examples/matrix.c" \
  -o matrix_static $(pkg-config --cflags prle) "$(pkg-config --variable=libdir prle)/libprle.a" \
  $(pkg-config --static --libs prle | sed 's/ -lprle / /') -lm
check run_matrix_static 0 ./matrix_static
contains run_matrix_static out "test RMSE"
ok static_needs_no_libprle bash -c "! ldd ./matrix_static | grep -q libprle"
# the README shows examples/matrix.c and examples/regressor.py whole, as they are
for ex in matrix.c regressor.py; do
  awk -v f="examples/$ex" 'index($0, "`" f "`:") {on = 1; next}
    on && /^```/ {if (inb) exit; inb = 1; next} on && inb {print}' "$src/README.md" >"readme_$ex"
  ok "readme_shows_$ex" cmp -s "readme_$ex" "$src/examples/$ex"
done
# the Python package, installed beside its library (not with a sanitized library: python3
# would need the sanitizer runtime preloaded)
if [ ${#san[@]} -eq 0 ]; then
  ok installed_python [ -e pfx/lib/python3/dist-packages/prle/estimator.py ]
  check python 0 env -u PRLE_LIBRARY PYTHONPATH="$tmp/pfx/lib/python3/dist-packages" \
    /usr/bin/python3 -c 'import prle._lib as l; print(l.lib._name)'
  contains python out "pfx/lib/python3/dist-packages/prle/../../../libprle.so.0"
  check python_example 0 env -u PRLE_LIBRARY PYTHONPATH="$tmp/pfx/lib/python3/dist-packages" \
    /usr/bin/python3 "$src/examples/regressor.py"
  contains python_example out "test R^2 0.9"
fi
finish

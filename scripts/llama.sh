#!/usr/bin/env bash
# Builds llama.cpp once per version into the user cache and prints the directory.
# Usage: scripts/llama.sh [lib|tool]   (JOBS sets -j, default 2)
#   lib   (default; CMake runs it at configure time) include/ (llama.h, ggml*.h, gguf.h),
#         lib/ (static, position independent: libprle.so links them), gguf-py/ (the tests
#         write their tiny GGUF with it), LICENSE, STAMP
#   tool  also bin/llama-embedding, llama.cpp's own embedding tool, the tests' reference
#         (make test builds it before running the suite)
# Debian 12 has no llama.cpp: its source comes from the npm package node-llama-cpp, which ships
# it as a git bundle (package/llama/gitRelease.bundle, release in llama.cpp.info.json). The
# result is ${XDG_CACHE_HOME:-~/.cache}/prle/llama/<version>-openmp/; the source and build tree
# stay in <version>-openmp.build/ so the tool builds on what the library build compiled. Installed
# files are copied under a temporary name and renamed into place, the directory's STAMP (the
# tool: its binary) last, under a lock: a failed or concurrent build never leaves a
# half-installed directory, and an interrupted one resumes.
set -euo pipefail
what=${1:-lib}
case "$what" in lib | tool) ;; *) echo "llama.sh: unknown part '$what' (lib, tool)" >&2; exit 2 ;; esac
version=3.22.1
# ggml's threads wait in OpenMP barriers: under the OMP_WAIT_POLICY=passive the prle tool sets,
# they sleep instead of spinning when the machine is busy (tiny model beside two busy loops,
# 2 threads: 28,560 tokens/s, against 7,762 with ggml's own spinning pool; the same when quiet).
# The flavour names the directory, so builds of other flags are never reused.
flavour=$version-openmp
# the user cache as the library finds it (core/str.h): XDG_CACHE_HOME or HOME, absolute only
case ${XDG_CACHE_HOME:-} in
  /*) root=$XDG_CACHE_HOME/prle/llama ;;
  *) case ${HOME:-} in
       /*) root=$HOME/.cache/prle/llama ;;
       *) echo "llama.sh: no user cache: XDG_CACHE_HOME and HOME are unset or not absolute" >&2; exit 2 ;;
     esac ;;
esac
dest=$root/$flavour
work=$root/$flavour.build
done_already() { [ -f "$dest/STAMP" ] && { [ "$what" = lib ] || [ -x "$dest/bin/llama-embedding" ]; }; }
done_already && { echo "$dest"; exit 0; }
mkdir -p "$root"
exec 9>"$root/.lock-$flavour"
flock 9
done_already && { echo "$dest"; exit 0; }
for c in npm git cmake c++; do
  command -v "$c" >/dev/null || { echo "llama.sh: '$c' not found (scripts/deps.sh build installs it)" >&2; exit 1; }
done
start=$(date +%s)
if [ ! -f "$work/src/include/llama.h" ]; then
  echo "llama.sh: fetching llama.cpp's source from node-llama-cpp@$version (npm)" >&2
  rm -rf "$work"
  mkdir -p "$work"
  (cd "$work" && npm pack --silent "node-llama-cpp@$version" >/dev/null)
  tar -xzf "$work/node-llama-cpp-$version.tgz" -C "$work" package/llama/gitRelease.bundle \
    package/llama/llama.cpp.info.json
  git clone -q "$work/package/llama/gitRelease.bundle" "$work/src.tmp" 2>/dev/null
  mv "$work/src.tmp" "$work/src"
  rm -f "$work/node-llama-cpp-$version.tgz"
fi
release=$(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$work/package/llama/llama.cpp.info.json")
if [ ! -f "$work/build/CMakeCache.txt" ]; then
  cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DGGML_NATIVE=OFF -DGGML_OPENMP=ON -DLLAMA_CURL=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_COMMON=ON \
    >"$work/configure.log" 2>&1 || { tail -20 "$work/configure.log" >&2; exit 1; }
fi
build() { # targets...
  cmake --build "$work/build" -j "${JOBS:-2}" --target "$@" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; exit 1; }
}
if [ ! -f "$dest/STAMP" ]; then
  echo "llama.sh: building llama.cpp $release (static libraries) into $dest, once" >&2
  build llama
  tmp=$(mktemp -d "$root/.install-$flavour.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/include" "$tmp/lib" "$tmp/bin"
  cp "$work/src/include/llama.h" "$work/src/ggml/include/"*.h "$tmp/include/"
  for l in libllama.a libggml.a libggml-base.a libggml-cpu.a; do
    f=$(find "$work/build" -name "$l" | head -1)
    [ -n "$f" ] || { echo "llama.sh: the build made no $l" >&2; exit 1; }
    cp "$f" "$tmp/lib/"
  done
  cp -r "$work/src/gguf-py" "$tmp/gguf-py"
  cp "$work/src/LICENSE" "$tmp/"
  printf 'node-llama-cpp %s\nllama.cpp %s\ncommit %s\nseconds %s\n' "$version" "$release" \
    "$(git -C "$work/src" rev-parse HEAD)" "$(($(date +%s) - start))" >"$tmp/STAMP"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  echo "llama.sh: llama.cpp $release libraries built in $(($(date +%s) - start)) s" >&2
fi
if [ "$what" = tool ] && [ ! -x "$dest/bin/llama-embedding" ]; then
  echo "llama.sh: building llama.cpp's llama-embedding (the tests' reference), once" >&2
  build llama-embedding
  mkdir -p "$dest/bin"
  cp "$work/build/bin/llama-embedding" "$dest/bin/.llama-embedding.tmp"
  mv "$dest/bin/.llama-embedding.tmp" "$dest/bin/llama-embedding"
  echo "llama.sh: llama-embedding built in $(($(date +%s) - start)) s" >&2
fi
echo "$dest"

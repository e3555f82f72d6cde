#!/usr/bin/env bash
# Builds llama.cpp once per version into the user cache and prints the directory.
# Usage: scripts/llama.sh            (CMake runs it at configure time; JOBS sets -j, default 2)
# Debian 12 has no llama.cpp: its source comes from the npm package node-llama-cpp, which ships
# it as a git bundle (package/llama/gitRelease.bundle, release in llama.cpp.info.json). The
# result, ${XDG_CACHE_HOME:-~/.cache}/prle/llama/<version>/, holds include/ (llama.h, ggml*.h),
# lib/ (static, position-independent: libprle.so links them), bin/llama-embedding (the tests'
# reference), gguf-py/ (the tests write their tiny GGUF with it) and STAMP, written last.
# The build happens in a temporary directory renamed into place, under a lock, so a failed or
# concurrent build never leaves a half-built directory behind.
set -euo pipefail
version=3.22.1
root=${XDG_CACHE_HOME:-$HOME/.cache}/prle/llama
dest=$root/$version
[ -f "$dest/STAMP" ] && { echo "$dest"; exit 0; }
mkdir -p "$root"
exec 9>"$root/.lock-$version"
flock 9
[ -f "$dest/STAMP" ] && { echo "$dest"; exit 0; }
for c in npm git cmake c++; do
  command -v "$c" >/dev/null || { echo "llama.sh: '$c' not found (scripts/deps.sh build installs it)" >&2; exit 1; }
done
tmp=$(mktemp -d "$root/.build-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "llama.sh: building llama.cpp from node-llama-cpp@$version into $dest (once; about 6 minutes on 2 cores)" >&2
(cd "$tmp" && npm pack --silent "node-llama-cpp@$version" >/dev/null)
tar -xzf "$tmp/node-llama-cpp-$version.tgz" -C "$tmp" package/llama/gitRelease.bundle \
    package/llama/llama.cpp.info.json
release=$(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$tmp/package/llama/llama.cpp.info.json")
git clone -q "$tmp/package/llama/gitRelease.bundle" "$tmp/src" 2>/dev/null
cmake -S "$tmp/src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_COMMON=ON >"$tmp/configure.log" 2>&1 \
  || { tail -20 "$tmp/configure.log" >&2; exit 1; }
cmake --build "$tmp/build" -j "${JOBS:-2}" --target llama llama-embedding >"$tmp/build.log" 2>&1 \
  || { tail -30 "$tmp/build.log" >&2; exit 1; }
out=$tmp/out
mkdir -p "$out/include" "$out/lib" "$out/bin"
cp "$tmp/src/include/llama.h" "$tmp/src/ggml/include/"*.h "$out/include/"
find "$tmp/build" -name 'libllama.a' -o -name 'libggml*.a' | xargs -I{} cp {} "$out/lib/"
cp "$tmp/build/bin/llama-embedding" "$out/bin/"
cp -r "$tmp/src/gguf-py" "$out/gguf-py"
cp "$tmp/src/LICENSE" "$out/"
for l in libllama.a libggml.a libggml-base.a libggml-cpu.a; do
  [ -f "$out/lib/$l" ] || { echo "llama.sh: the build made no $l" >&2; exit 1; }
done
printf 'node-llama-cpp %s\nllama.cpp %s\ncommit %s\nseconds %s\n' "$version" "$release" \
  "$(git -C "$tmp/src" rev-parse HEAD)" "$(($(date +%s) - start))" >"$out/STAMP"
rm -rf "$dest"
mv "$out" "$dest"
echo "llama.sh: llama.cpp $release built in $(($(date +%s) - start)) s" >&2
echo "$dest"

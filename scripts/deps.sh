#!/usr/bin/env bash
# Installs the Debian packages PRLE needs to build and test, when any is missing.
# Usage: scripts/deps.sh [build|run|test|peers]   (build: compilers, libraries, Open MPI, and npm
#        and git, which scripts/llama.sh uses to fetch llama.cpp's source once;
#        test adds chromium and a font for the browser test of the report, tests/browser/; python3
#        with NumPy, scikit-learn and pandas for the Python package's tests, tests/python/)
set -euo pipefail
what=${1:-build}
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libopenblas-openmp-dev liblapacke-dev libyaml-dev libsvm-dev liblinear-dev libcjson-dev
      libcurl4-openssl-dev libssl-dev libarchive-dev libfftw3-dev libopenmpi-dev openmpi-bin
      nodejs npm git)
case "$what" in
  build) ;;
  run) ;;
  test) pkgs+=(chromium fonts-dejavu-core python3 python3-numpy python3-sklearn python3-pandas strace
               python3-yaml) ;; # python3-yaml: llama.cpp's gguf-py writes the tests' tiny GGUF
  peers) pkgs+=(python3-numpy python3-scipy python3-sklearn python3-torch) ;;
  *) echo "deps.sh: unknown set '$what' (build, run, test, peers)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  # npm/node may come from outside Debian (nvm, NodeSource): a working command is enough.
  case "$p" in nodejs) command -v node >/dev/null && continue ;; npm) command -v npm >/dev/null && continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
  echo "deps.sh: run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

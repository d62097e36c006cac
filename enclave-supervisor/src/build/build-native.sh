#!/usr/bin/env bash
# Builds a static C program with the Debian toolchain (gcc, libc6-dev) for the machine's architecture.
# Usage: build-native.sh OUTPUT SOURCE_DIR [--cross]   (called by the Maven build) compiles SOURCE_DIR/*.c
# into OUTPUT, where @ARCH@ stands for the architecture (uname -m: x86_64, aarch64). -static makes the binary
# run in any image, FROM scratch included. With --cross, on x86_64 it also builds the aarch64 binary when
# Debian's cross toolchain is installed (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross), and says so when not.
# Without gcc or a static libc it prints why and builds nothing: the tests that need the binary then skip,
# naming this reason.
set -euo pipefail
template=$1
sources=$2
cross=${3:-}
output=${template//@ARCH@/$(uname -m)}
flags=(-std=gnu11 -static -s -O2 -Wall -Wextra -Werror=implicit-function-declaration)
if ! command -v gcc >/dev/null 2>&1; then
  echo "build-native.sh: gcc not found (apt-get install gcc libc6-dev): $(basename "$output") not built" >&2
  exit 0
fi
if ! gcc -print-file-name=libc.a | grep -q /; then
  echo "build-native.sh: no static libc (apt-get install libc6-dev): $(basename "$output") not built" >&2
  exit 0
fi
mkdir -p "$(dirname "$output")"
gcc "${flags[@]}" -o "$output" "$sources"/*.c
if [[ "$cross" == --cross && "$(uname -m)" == x86_64 ]]; then
  arm=${template//@ARCH@/aarch64}
  if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && aarch64-linux-gnu-gcc -print-file-name=libc.a | grep -q /; then
    mkdir -p "$(dirname "$arm")"
    aarch64-linux-gnu-gcc "${flags[@]}" -o "$arm" "$sources"/*.c
  else
    echo "build-native.sh: no aarch64 cross toolchain (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross):" \
      "the jar carries $(basename "$output") for x86_64 only" >&2
  fi
fi

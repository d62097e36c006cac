#!/usr/bin/env bash
# Builds a static C program with the Debian toolchain (gcc, libc6-dev) for the machine's architecture.
# Usage: build-native.sh OUTPUT SOURCE_DIR   (called by the Maven build) compiles SOURCE_DIR/*.c into OUTPUT,
# where @ARCH@ stands for the architecture (uname -m: x86_64, aarch64). -static makes the binary run in
# any image, FROM scratch included). Without gcc or a static libc it prints why and builds nothing:
# the tests that need the binary then skip, naming this reason.
set -euo pipefail
output=${1//@ARCH@/$(uname -m)}
sources=$2
if ! command -v gcc >/dev/null 2>&1; then
  echo "build-native.sh: gcc not found (apt-get install gcc libc6-dev): $(basename "$output") not built" >&2
  exit 0
fi
if ! gcc -print-file-name=libc.a | grep -q /; then
  echo "build-native.sh: no static libc (apt-get install libc6-dev): $(basename "$output") not built" >&2
  exit 0
fi
mkdir -p "$(dirname "$output")"
gcc -std=gnu11 -static -s -O2 -Wall -Wextra -Werror=implicit-function-declaration -o "$output" "$sources"/*.c

#!/usr/bin/env bash
# Builds the language matrix's enclave programs from source with Debian's toolchains (called by the Maven
# build in generate-test-resources). Usage: build-programs.sh OUTPUT_DIR TEST_SOURCES
#   OUTPUT_DIR/<name>          the program, run as `<name> NONCE_HEX ECHO_PORT LISTEN_PORT`
#   OUTPUT_DIR/<name>.skipped  instead, one line saying why it was not built (its tests skip with that reason)
# One build_<name> function per program; adding a language = a source directory under src/test/, a function
# here, its name in PROGRAMS, and the same name in the tests' Program table.
set -euo pipefail
output=$1
sources=$2
PROGRAMS=(c-dynamic c-static python go rust)

skip() { # NAME REASON
  echo "build-programs.sh: $1 not built: $2" >&2
  printf '%s\n' "$2" >"$output/$1.skipped"
}

have_gcc() {
  if ! command -v gcc >/dev/null 2>&1; then
    echo "gcc not found (apt-get install gcc libc6-dev)"
  elif ! gcc -print-file-name=libc.a | grep -q /; then
    echo "no static libc (apt-get install libc6-dev)"
  fi
}

c_flags=(-std=gnu11 -O2 -Wall -Wextra -Werror=implicit-function-declaration -pthread)

build_c-dynamic() {
  local missing; missing=$(have_gcc)
  [[ -z $missing ]] || { skip c-dynamic "$missing"; return; }
  gcc "${c_flags[@]}" -o "$output/c-dynamic" "$sources/c/enclave-program.c"
}

build_c-static() {
  local missing; missing=$(have_gcc)
  [[ -z $missing ]] || { skip c-static "$missing"; return; }
  gcc "${c_flags[@]}" -static -s -o "$output/c-static" "$sources/c/enclave-program.c"
}

# Debian's interpreter, not a pyenv shim on PATH: the container image copies exactly this one.
build_python() {
  if [[ ! -x /usr/bin/python3 ]]; then
    skip python "/usr/bin/python3 not found (apt-get install python3 python3-cbor2)"
  elif ! /usr/bin/python3 -c 'import cbor2, socket; socket.AF_VSOCK' 2>/dev/null; then
    skip python "Debian's python3 cannot import cbor2 or has no socket.AF_VSOCK (apt-get install python3-cbor2)"
  else
    install -m 0755 "$sources/python/enclave_program.py" "$output/python"
  fi
}

build_go() {
  skip go "no Go program in src/test/go yet (the Go program of the matrix comes with its own build rule)"
}

build_rust() {
  skip rust "no Rust program in src/test/rust yet (the Rust program of the matrix comes with its own build rule)"
}

mkdir -p "$output"
for name in "${PROGRAMS[@]}"; do
  rm -f "$output/$name" "$output/$name.skipped"
  "build_$name"
done

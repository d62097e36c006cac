#!/usr/bin/env bash
# Builds the language matrix's enclave programs from source with Debian's toolchains (called by the Maven
# build in generate-test-resources). Usage: build-programs.sh OUTPUT_DIR TEST_SOURCES
#   OUTPUT_DIR/<name>          the program, run as `<name> NONCE_HEX ECHO_PORT LISTEN_PORT`
#   OUTPUT_DIR/<name>.skipped  instead, one line saying why it was not built (its tests skip with that reason)
# One build_<name> function per program; adding a language = a source directory under src/test/, a function
# here (or a build-<name>.sh script it calls), its name in PROGRAMS, and the same name in the tests' Program table.
set -euo pipefail
mkdir -p "$1"
output=$(cd "$1" && pwd) # absolute: the language scripts change directory
sources=$(cd "$2" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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

# A language whose build lives in its own script, `SCRIPT SOURCE_DIR OUT` (build-go.sh, build-rust.sh): it builds
# OUT, or prints why not (toolchain or packages missing) and exits 0; a failing build fails the Maven build.
build_with_script() { # NAME SCRIPT SOURCE_DIR
  local name=$1 script=$2 source=$3 message
  if [[ ! -f $script || ! -d $source ]]; then
    skip "$name" "no $name program in this checkout (src/build/$(basename "$script") and src/test/$(basename "$source") not both present)"
    return
  fi
  if ! message=$(sh "$script" "$source" "$output/$name" 2>&1); then
    echo "$message" >&2
    echo "build-programs.sh: building $name failed" >&2
    exit 1
  fi
  echo "$message" >&2
  [[ -x $output/$name ]] || skip "$name" "$message"
}

build_go() { build_with_script go "$here/build-go.sh" "$sources/go"; }

build_rust() { build_with_script rust "$here/build-rust.sh" "$sources/rust"; }

for name in "${PROGRAMS[@]}"; do
  rm -f "$output/$name" "$output/$name.skipped"
  "build_$name"
done

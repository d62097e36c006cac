#!/bin/sh
# Builds the Rust enclave program (src/test/rust) into OUT as a static binary, offline, with
# Debian's Rust toolchain (rustc, cargo) and Debian's crates (/usr/share/cargo/registry:
# librust-vsock-dev, librust-serde-cbor-dev, librust-libc-dev, librust-nix-dev). AWS's
# aws-nitro-enclaves-nsm-api crate is not packaged by Debian, so the program uses the same ioctl
# layout directly. Without the toolchain or crates it prints why and builds nothing (the tests
# then skip). Usage: build-rust.sh SOURCE_DIR OUT
set -eu
source_dir=$1
out=$2
cargo=/usr/bin/cargo
rustc=/usr/bin/rustc
registry=/usr/share/cargo/registry
if [ ! -x "$cargo" ] || [ ! -x "$rustc" ]; then
  echo "build-rust: no Debian Rust toolchain (packages rustc, cargo): the Rust program is not built"
  exit 0
fi
for crate in vsock serde_cbor libc nix; do
  if ! ls -d "$registry/$crate"-[0-9]* >/dev/null 2>&1; then
    echo "build-rust: Debian crate $crate not installed: the Rust program is not built"
    exit 0
  fi
done
work=$(dirname "$out")/rust-build
rm -rf "$work/src"
mkdir -p "$work/cargo-home" "$work/src"
# Built from a copy: cargo writes Cargo.lock beside the manifest, and the versions are whatever
# Debian ships, so no lock file is kept in the source tree.
cp -R "$source_dir/Cargo.toml" "$source_dir/src" "$work/src/"
cat >"$work/cargo-home/config.toml" <<CONFIG
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$registry"

[net]
offline = true
CONFIG
CARGO_HOME="$work/cargo-home" CARGO_TARGET_DIR="$work/target" RUSTC="$rustc" \
  RUSTFLAGS="-C target-feature=+crt-static" \
  "$cargo" build --quiet --release --offline --manifest-path "$work/src/Cargo.toml"
cp "$work/target/release/nsmprobe" "$out"
echo "build-rust: built $out ($(wc -c <"$out") bytes) with $("$rustc" --version)"

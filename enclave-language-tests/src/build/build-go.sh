#!/bin/sh
# Builds the Go enclave program (src/test/go/nsmprobe) into OUT as a static binary, offline, with
# Debian's Go toolchain and Debian's Go packages (module mode, every module replaced by its Debian
# source under /usr/share/gocode, no proxy):
# golang-go, golang-github-mdlayher-vsock-dev, golang-github-fxamacker-cbor-dev,
# golang-golang-x-sys-dev. Without them it prints why and builds nothing (the tests then skip).
# Usage: build-go.sh SOURCE_DIR OUT
set -eu
source_dir=$1
out=$2
go=$(command -v /usr/lib/go/bin/go || command -v go || true)
for package in github.com/mdlayher/vsock github.com/mdlayher/socket github.com/fxamacker/cbor \
  github.com/x448/float16 golang.org/x/sys golang.org/x/net golang.org/x/sync github.com/google/go-cmp; do
  if [ ! -d "/usr/share/gocode/src/$package" ]; then
    echo "build-go: Debian Go package for $package not installed: the Go program is not built"
    exit 0
  fi
done
if [ -z "$go" ]; then
  echo "build-go: no Go toolchain (Debian package golang-go): the Go program is not built"
  exit 0
fi
work=$(dirname "$out")/go-build
rm -rf "$work"
mkdir -p "$work/src" "$work/cache" "$work/modcache"
cp "$source_dir"/nsmprobe/*.go "$work/src/"
gocode=/usr/share/gocode/src
cat >"$work/src/go.mod" <<MOD
module nsmprobe

go 1.19

require (
	github.com/fxamacker/cbor/v2 v2.4.0
	github.com/mdlayher/vsock v1.2.0
	golang.org/x/sys v0.3.0
)

replace (
	github.com/fxamacker/cbor/v2 => $gocode/github.com/fxamacker/cbor
	github.com/x448/float16 => $gocode/github.com/x448/float16
	github.com/mdlayher/vsock => $gocode/github.com/mdlayher/vsock
	github.com/mdlayher/socket => $gocode/github.com/mdlayher/socket
	github.com/google/go-cmp => $gocode/github.com/google/go-cmp
	golang.org/x/sys => $gocode/golang.org/x/sys
	golang.org/x/net => $gocode/golang.org/x/net
	golang.org/x/sync => $gocode/golang.org/x/sync
)
MOD
cd "$work/src"
export GO111MODULE=on GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local \
  GOPATH="$work/gopath" GOMODCACHE="$work/modcache" GOCACHE="$work/cache" CGO_ENABLED=0
"$go" build -trimpath -ldflags='-s -w' -o "$out" .
echo "build-go: built $out ($(wc -c <"$out") bytes) with $("$go" version)"

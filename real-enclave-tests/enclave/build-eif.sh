#!/usr/bin/env bash
# Builds the enclave test-runner image and its EIF on an enclave-enabled parent instance, and writes
# the measurements JSON (nitro-cli build-enclave's output: PCR0, PCR1, PCR2, PCR8 if signed) that
# run-nightly.sh puts into the KMS key policy and hands to the suites.
#
# Needs: java 17, maven, docker, nitro-cli, jq.
# Environment (all optional):
#   OUT_DIR       where the jar, image context, EIF and measurements go
#                 (default: real-enclave-tests/target/enclave)
#   IMAGE         docker tag (default: nitro-emu-enclave-tests:latest)
#   JRE_IMAGE     base image; pin a digest for reproducible PCRs (default: see Dockerfile)
#   SIGNING_CERT, SIGNING_KEY  sign the EIF (sets PCR8); both or neither
#   MVN_ARGS      extra maven arguments, e.g. "-o"
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(dirname "$here")"
repo="$(dirname "$module")"
out="${OUT_DIR:-$module/target/enclave}"
image="${IMAGE:-nitro-emu-enclave-tests:latest}"

fail() {
  echo "build-eif: $*" >&2
  exit 1
}

for tool in java mvn docker nitro-cli jq; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (needs: java 17, maven, docker, nitro-cli, jq)"
done
if [[ -n "${SIGNING_CERT:-}" || -n "${SIGNING_KEY:-}" ]]; then
  [[ -f "${SIGNING_CERT:-}" && -f "${SIGNING_KEY:-}" ]] || fail "set both SIGNING_CERT and SIGNING_KEY to files"
fi

mkdir -p "$out"

echo "build-eif: building enclave-tests.jar (suites, launcher, dependencies)"
read -r -a mvn_extra <<< "${MVN_ARGS:-}"
mvn -B -q -f "$repo/pom.xml" -pl real-enclave-tests -am -Penclave-image -DskipTests \
  -DbuildDirName=target "${mvn_extra[@]}" package
cp "$module/target/enclave-tests.jar" "$out/enclave-tests.jar"

context="$out/image"
rm -rf "$context"
mkdir -p "$context"
cp "$here/Dockerfile" "$here/enclave-entrypoint.sh" "$out/enclave-tests.jar" "$context/"

echo "build-eif: docker build $image"
build_args=()
if [[ -n "${JRE_IMAGE:-}" ]]; then
  build_args+=(--build-arg "JRE_IMAGE=$JRE_IMAGE")
fi
docker build "${build_args[@]}" -t "$image" "$context"

echo "build-eif: nitro-cli build-enclave"
sign_args=()
if [[ -n "${SIGNING_CERT:-}" ]]; then
  sign_args+=(--signing-certificate "$SIGNING_CERT" --private-key "$SIGNING_KEY")
fi
raw="$out/build-enclave.out"
nitro-cli build-enclave --docker-uri "$image" --output-file "$out/enclave-tests.eif" "${sign_args[@]}" > "$raw"

# build-enclave prints progress lines before the JSON document; keep the document only.
sed -n '/^{/,$p' "$raw" > "$out/measurements.json"
pcr0="$(jq -er '.Measurements.PCR0' "$out/measurements.json")" \
  || fail "no Measurements.PCR0 in the output of nitro-cli build-enclave (see $raw)"
[[ "$pcr0" =~ ^[0-9a-f]{96}$ ]] || fail "PCR0 is not 96 hex digits: $pcr0"

# Cross-check: nitro-emu's EIF reader must measure the file exactly as nitro-cli did.
"$here/check-eif-measurements.sh" "$out/measurements.json" "$out/enclave-tests.eif" \
  || fail "nitro-emu describe-eif disagrees with nitro-cli on $out/enclave-tests.eif"

echo "build-eif: wrote $out/enclave-tests.eif"
echo "build-eif: wrote $out/measurements.json (PCR0 $pcr0)"

#!/usr/bin/env bash
# Fuzzes every Jazzer target for a bounded time (each @FuzzTest's maxDuration, 30 s) and prints the
# executions per target. Not part of CI: `mvn -B verify` only replays the checked-in corpora.
# Usage: .ci/fuzz.sh [TARGET...]   (TARGET = module:Class#method; default: all of them)
# New corpus entries land in .cifuzz-corpus/ (ignored); findings land beside the corpus in
# src/test/resources/.../<Class>Inputs/<method>/ and then fail mvn verify until fixed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(
    enclave-runtime:NsmCodecFuzzTest#requests
    enclave-runtime:NsmCodecFuzzTest#responses
    enclave-runtime:AttestationFuzzTest#verify
    enclave-runtime:AttestationFuzzTest#decodePayload
    enclave-runtime:EifFileFuzzTest#read
    enclave-runtime:FramesFuzzTest#readFrames
    emulator-nsm:NsmServiceFuzzTest#process
    kms-attest-mock:KmsParsingFuzzTest#requestBody
    kms-attest-mock:KmsParsingFuzzTest#keyPolicy
    kms-attest-mock:KmsParsingFuzzTest#authorizationHeader
    vsock-sim:ProxyAllowlistFuzzTest#parse
  )
fi

mvn -B -q install -DskipTests
printf '| target | executions | result |\n|---|---|---|\n'
for target in "${targets[@]}"; do
  module="${target%%:*}"
  test="${target#*:}"
  log="$(mktemp)"
  if JAZZER_FUZZ=1 mvn -B -o verify -pl "$module" -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false > "$log" 2>&1; then
    result="no finding"
  else
    result="FINDING or error (see $log)"
  fi
  runs="$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")"
  printf '| %s | %s | %s |\n' "$target" "$runs" "$result"
  [[ "$result" == "no finding" ]] && rm -f "$log"
done

#!/usr/bin/env bash
# Cross-checks nitro-emu's EIF reader against nitro-cli: reads EIF with `nitro-emu describe-eif` and
# fails unless PCR0, PCR1, PCR2 and PCR8 equal those in MEASUREMENTS (nitro-cli build-enclave's JSON).
# A key policy tested under the emulator (start --eif, @NitroEnclaveTest(eif = ...)) then names
# exactly the values the hardware reports.
#
# Usage: check-eif-measurements.sh MEASUREMENTS.json FILE.eif
# Needs: jq. NITRO_EMU overrides the command (default: the repository's ./nitro-emu launcher).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$(dirname "$here")")"
[[ $# -eq 2 ]] || { echo "usage: check-eif-measurements.sh MEASUREMENTS.json FILE.eif" >&2; exit 2; }
measurements="$1"
eif="$2"
read -r -a nitro_emu <<< "${NITRO_EMU:-$repo/nitro-emu}"

described="$("${nitro_emu[@]}" describe-eif "$eif")"
for pcr in PCR0 PCR1 PCR2 PCR8; do
  theirs="$(jq -r --arg p "$pcr" '.Measurements[$p] // "absent"' "$measurements")"
  ours="$(jq -r --arg p "$pcr" '.Measurements[$p] // "absent"' <<< "$described")"
  if [[ "$theirs" != "$ours" ]]; then
    echo "check-eif-measurements: $pcr differs: nitro-cli $theirs, nitro-emu describe-eif $ours" >&2
    exit 1
  fi
done
echo "check-eif-measurements: PCR0/1/2/8 of $eif agree with $measurements"

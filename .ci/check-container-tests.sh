#!/usr/bin/env bash
# Fails when Docker was available but the enclave-container tests did not all run: no report, a test
# skipped (their skip reason is "Docker is not available"), or fewer tests than expected.
# Usage: .ci/check-container-tests.sh [reports-dir [report-glob]]   (NITRO_DOCKER_AVAILABLE=true|false from
# .ci/docker.sh); report-glob (default TEST-*.xml) picks the container tests of a module that has others.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reports="${1:-enclave-container/target/surefire-reports}"
glob="${2:-TEST-*.xml}"

if [[ "${NITRO_DOCKER_AVAILABLE:-false}" != "true" ]]; then
  echo "check-container-tests: no Docker here; the container tests were allowed to skip" >&2
  exit 0
fi
shopt -s nullglob
# shellcheck disable=SC2206 # the glob is meant to expand here
files=("$reports"/$glob)
if ((${#files[@]} == 0)); then
  echo "check-container-tests: Docker is available but $reports holds no container test report ($glob)" >&2
  exit 1
fi
tests=0 skipped=0
for f in "${files[@]}"; do
  head=$(grep -m1 -o '<testsuite [^>]*>' "$f")
  t=$(sed -n 's/.* tests="\([0-9]*\)".*/\1/p' <<<"$head")
  s=$(sed -n 's/.* skipped="\([0-9]*\)".*/\1/p' <<<"$head")
  tests=$((tests + ${t:-0}))
  skipped=$((skipped + ${s:-0}))
  if [[ "${s:-0}" != "0" ]]; then
    echo "check-container-tests: $f: ${s} test(s) skipped although Docker is available" >&2
  fi
done
if ((skipped > 0 || tests == 0)); then
  echo "check-container-tests: Docker is available, but of $tests container tests $skipped skipped" >&2
  exit 1
fi
echo "check-container-tests: $tests container tests ran on Docker, none skipped" >&2

#!/usr/bin/env bash
# Sourced by .ci/run: makes a Docker daemon available for the enclave-container tests, offline.
# Docker comes from Debian (docker.io); Docker Hub is never contacted: every image the tests run is
# built locally FROM scratch. Sets what Testcontainers needs to run without pulling anything:
#  - TESTCONTAINERS_RYUK_DISABLED: no testcontainers/ryuk image (containers are removed by a JVM hook);
#  - TESTCONTAINERS_CHECKS_DISABLE: no alpine image for the bind-mount check;
#  - TESTCONTAINERS_HOST_OVERRIDE=localhost inside a container (/.dockerenv), where Testcontainers
#    otherwise runs alpine to find the default gateway.
# Exports NITRO_DOCKER_AVAILABLE=true when a daemon answers, false otherwise (then the container tests
# skip, and .ci/check-container-tests.sh accepts that).

nitro_docker_wait() {
  local i
  for ((i = 0; i < ${1:-60}; i++)); do
    if docker info >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  return 1
}

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io
fi

NITRO_DOCKER_AVAILABLE=false
if docker info >/dev/null 2>&1; then
  NITRO_DOCKER_AVAILABLE=true
else
  dockerd_log="${TMPDIR:-/tmp}/nitro-ci-dockerd.log"
  echo "ci: no Docker daemon answers; starting dockerd (log: $dockerd_log)" >&2
  nohup dockerd >"$dockerd_log" 2>&1 &
  if nitro_docker_wait 60; then
    NITRO_DOCKER_AVAILABLE=true
  else
    echo "ci: dockerd did not answer within 60 s; the container tests will skip. Last log lines:" >&2
    tail -n 20 "$dockerd_log" >&2 || true
  fi
fi
export NITRO_DOCKER_AVAILABLE

export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_CHECKS_DISABLE=true
if [[ -f /.dockerenv ]]; then
  export TESTCONTAINERS_HOST_OVERRIDE=localhost
fi

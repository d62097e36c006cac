#!/bin/sh
# Entry point of the test-runner image, run inside the enclave: bring up loopback, then run the
# conformance suites with EnclaveTestRunner, which fetches its bootstrap (credentials, settings)
# from the parent and streams every result to the parent's collector over vsock.
set -eu

# An enclave boots with "lo" down; the KMS client reaches vsock-proxy through a bridge on 127.0.0.1.
ip link set dev lo up

exec java -XX:+UseSerialGC -XX:MaxRAMPercentage=75 -jar /opt/nitro-tests/enclave-tests.jar "$@"

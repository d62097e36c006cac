#!/usr/bin/env bash
# One command for issue 14's ratios: builds bench/target/benchmarks.jar, then prints every ratio with
# its goal: the JMH suites through BenchRatios (a table of ratio, baseline and goal), then the
# interleaved programs whose same-JVM alternation is steadier on a shared machine (KMS Decrypt,
# attestation, relay copy strategies, the supervisor's cost) and the JUnit extension against plain
# JUnit tests. Minutes of CPU: run it on a quiet machine.
#
#   bench/ratios.sh [JMH benchmark regex]       (default: every JMH suite)
#
# MAVEN_ARGS is passed to Maven (e.g. MAVEN_ARGS="-o -Dmaven.repo.local=/path"); SKIP_BUILD=1 reuses
# the jar; JMH_ARGS replaces the JMH run options below.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  # shellcheck disable=SC2086
  mvn -B -q ${MAVEN_ARGS:-} -pl bench -am -DskipTests package
fi
jar=bench/target/benchmarks.jar
echo "load: $(uptime)"
# Two forks, 5 x 5 s warm-up (the KMS path needs about 20 s for the JIT), 5 x 3 s measured.
# shellcheck disable=SC2086
java -cp "$jar" dev.nitroemu.bench.BenchRatios ${JMH_ARGS:--f 2 -wi 5 -w 5s -i 5 -r 3s} "${1:-.*}"
echo "load: $(uptime)"
java -cp "$jar" dev.nitroemu.bench.InterleavedDecryptRatio 9 2
java -cp "$jar" dev.nitroemu.bench.InterleavedAttestationRatio 12
java -Dnitro.crypto.provider=jca -cp "$jar" dev.nitroemu.bench.InterleavedAttestationRatio 12
java --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp "$jar" dev.nitroemu.bench.RelayCopyComparison 7 256
# issue 12: nitro-emu-init's cost (NSM attestations/s and vsock echo, supervised C ÷ Java / Unix pair)
java -cp "$jar" dev.nitroemu.bench.SupervisorCost 9
# The JUnit extension's extra time per test and per class against plain JUnit (about 20 s).
java -cp "$jar" dev.nitroemu.bench.JUnitScaleCurve
echo "load: $(uptime)"

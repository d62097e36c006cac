#!/usr/bin/env bash
# Runs the conformance suites inside a real Nitro enclave (non-debug, so the PCRs are measured) and
# writes their results as JUnit XML; run it on the enclave-enabled parent after build-eif.sh.
#
#  1. Reads PCR0/1/2/8 from build-eif.sh's measurements JSON.
#  2. Creates or updates one KMS key per policy the suites declare (src/test/resources/kms/*.json,
#     the same files the emulated run uses), filling in those PCRs, the account and the region.
#  3. Starts vsock-proxy to KMS, and the parent side: the result collector, the echo service and the
#     bootstrap server that hands the enclave the instance role's temporary credentials (piped from
#     the instance metadata service, never written to disk or baked into the image) and its settings.
#  4. Runs the enclave without --debug-mode, waits for its results (the collector's timeout bounds
#     the wait), terminates it, and exits with the collector's verdict:
#     0 passed, 1 a test failed, 3 no results, 4 incomplete run, 2 or 5 setup failed.
#
# Needs: java 17, nitro-cli, vsock-proxy, aws (CLI v2), jq, curl; an instance role allowed to
# kms:CreateKey, kms:CreateAlias, kms:DescribeKey, kms:PutKeyPolicy, kms:Encrypt, kms:Decrypt.
# Environment (all optional):
#   OUT_DIR          build-eif.sh's output (default: real-enclave-tests/target/enclave)
#   REPORTS_DIR      JUnit XML destination (default: real-enclave-tests/target/nitro-reports)
#   AWS_REGION       default: the instance's region
#   ENCLAVE_CID=16  ENCLAVE_CPUS=2  ENCLAVE_MEMORY_MIB=4096
#   KMS_PROXY_PORT=8000  RESULTS_PORT=5005  BOOTSTRAP_PORT=8001  ECHO_PORT=5006
#   KEY_ALIAS_PREFIX=nitro-emu-nightly-   TIMEOUT=30m
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(dirname "$here")"
out="${OUT_DIR:-$module/target/enclave}"
reports="${REPORTS_DIR:-$module/target/nitro-reports}"
policies="$module/src/test/resources/kms"
enclave_cid="${ENCLAVE_CID:-16}"
kms_proxy_port="${KMS_PROXY_PORT:-8000}"
results_port="${RESULTS_PORT:-5005}"
bootstrap_port="${BOOTSTRAP_PORT:-8001}"
echo_port="${ECHO_PORT:-5006}"
key_prefix="${KEY_ALIAS_PREFIX:-nitro-emu-nightly-}"
timeout="${TIMEOUT:-30m}"
imds="http://169.254.169.254/latest"

fail() {
  echo "run-nightly: $*" >&2
  exit 5
}

for tool in java nitro-cli vsock-proxy aws jq curl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done
for file in "$out/enclave-tests.eif" "$out/measurements.json" "$out/enclave-tests.jar"; do
  [[ -f "$file" ]] || fail "$file is missing: run build-eif.sh first"
done

work="$(mktemp -d)"
proxy_pid=""
collector_pid=""
enclave_id=""
# shellcheck disable=SC2317  # invoked by the EXIT trap, which shellcheck 0.9 does not follow
cleanup() {
  if [[ -n "$enclave_id" ]]; then
    nitro-cli terminate-enclave --enclave-id "$enclave_id" >/dev/null 2>&1 || true
  fi
  for pid in "$collector_pid" "$proxy_pid"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- instance metadata (IMDSv2) -------------------------------------------------------------------
token="$(curl -sSf -X PUT "$imds/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 900")" \
  || fail "cannot reach the instance metadata service"
metadata() {
  curl -sSf -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/$1"
}
region="${AWS_REGION:-$(metadata placement/region)}"
export AWS_REGION="$region"
role="$(metadata iam/security-credentials/ | head -n 1)"
[[ -n "$role" ]] || fail "this instance has no IAM role; the enclave needs the role's credentials for KMS"
account="$(aws sts get-caller-identity --query Account --output text)"

# --- measurements ---------------------------------------------------------------------------------
pcr() {
  jq -r --arg name "PCR$1" '.Measurements[$name] // empty' "$out/measurements.json"
}
pcr0="$(pcr 0)"
[[ "$pcr0" =~ ^[0-9a-f]{96}$ ]] || fail "$out/measurements.json has no valid Measurements.PCR0"
echo "run-nightly: enclave image PCR0 $pcr0"

# --- KMS keys, one per policy the suites declare --------------------------------------------------
properties=(
  --property "nitro.kms.region=$region"
  --property "nitro.kms.proxyPort=$kms_proxy_port"
  --property-file "nitro.enclave.measurements=$out/measurements.json"
)
shopt -s nullglob
for declared in "$policies"/*.json; do
  alias="$(jq -er '.alias' "$declared")" || fail "$declared has no alias"
  policy="$work/$alias.policy.json"
  text="$(jq -e '.policy' "$declared")" || fail "$declared has no policy"
  for index in 0 1 2 8; do
    value="$(pcr "$index")"
    if [[ -n "$value" ]]; then
      text="${text//\$\{PCR$index\}/$value}"
    fi
  done
  text="${text//\$\{ACCOUNT_ID\}/$account}"
  text="${text//\$\{REGION\}/$region}"
  if [[ "$text" == *"\${"* ]]; then
    fail "$declared uses a placeholder this script cannot fill (PCR0/1/2/8, ACCOUNT_ID, REGION)"
  fi
  printf '%s\n' "$text" > "$policy"
  name="alias/$key_prefix$alias"
  if arn="$(aws kms describe-key --key-id "$name" --query KeyMetadata.Arn --output text 2>/dev/null)"; then
    aws kms put-key-policy --key-id "$arn" --policy-name default --policy "file://$policy"
    echo "run-nightly: updated the policy of $name"
  else
    arn="$(aws kms create-key --description "nitro-emu nightly: $alias" --policy "file://$policy" \
      --query KeyMetadata.Arn --output text)"
    aws kms create-alias --alias-name "$name" --target-key-id "$arn"
    echo "run-nightly: created $name"
  fi
  properties+=(--property "nitro.kms.key.$alias=$arn")
done

# --- parent side: vsock-proxy to KMS, collector + echo + bootstrap ---------------------------------
vsock-proxy "$kms_proxy_port" "kms.$region.amazonaws.com" 443 > "$work/vsock-proxy.log" 2>&1 &
proxy_pid=$!

mkdir -p "$reports"
collector_log="$reports/collector.log"
# The role's temporary credentials go to the collector on standard input only.
metadata "iam/security-credentials/$role" \
  | NITRO_MODE=real java -cp "$out/enclave-tests.jar" dev.nitroemu.enclavetests.ResultCollector \
    --reports-dir "$reports" --port "$results_port" --timeout "$timeout" \
    --echo-port "$echo_port" --bootstrap-port "$bootstrap_port" --enclave-cid "$enclave_cid" \
    --credentials-stdin "${properties[@]}" > "$collector_log" 2>&1 &
collector_pid=$!

for _ in $(seq 1 120); do
  grep -q "nitro-collector: ready" "$collector_log" && break
  kill -0 "$collector_pid" 2>/dev/null || break
  sleep 0.5
done
if ! grep -q "nitro-collector: ready" "$collector_log"; then
  cat "$collector_log" >&2
  fail "the result collector did not start"
fi
kill -0 "$proxy_pid" 2>/dev/null || { cat "$work/vsock-proxy.log" >&2; fail "vsock-proxy did not start"; }

# --- the enclave, measured (no --debug-mode: debug mode attests zero PCRs) ------------------------
started="$(nitro-cli run-enclave --eif-path "$out/enclave-tests.eif" --enclave-cid "$enclave_cid" \
  --cpu-count "${ENCLAVE_CPUS:-2}" --memory "${ENCLAVE_MEMORY_MIB:-4096}")" || fail "nitro-cli run-enclave failed"
enclave_id="$(jq -r '.EnclaveID' <<< "$started")"
echo "run-nightly: enclave $enclave_id (CID $enclave_cid) is running the suites"

verdict=0
wait "$collector_pid" || verdict=$?
collector_pid=""
cat "$collector_log"
echo "run-nightly: JUnit XML in $reports"
exit "$verdict"

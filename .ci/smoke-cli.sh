#!/usr/bin/env bash
# Smoke test of what the READMEs do not show (their shell blocks run in .ci/readme-blocks.sh):
# attest/verify/ca with default and pinned CAs, the real AWS documents, the endpoints file of
# `nitro-emu start --state-dir`, and the KMS mock's JSON protocol from a client that is not an AWS
# SDK: curl's SigV4, with the attested Decrypt's envelope opened by openssl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work="$(mktemp -d)"
cleanup() {
  .ci/stack.sh stop "$work/stack" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export NITRO_EMU_HOME="$work/home"

# Issue 2's "done when": default CA, pinned CA, exported root, AWS root.
./nitro-emu attest --nonce 01 --out "$work/d.cbor"
./nitro-emu verify "$work/d.cbor" --root emulator --nonce 01
./nitro-emu ca init --dir "$work/ca"
./nitro-emu attest --ca "$work/ca" --out "$work/d2.cbor"
./nitro-emu ca export --dir "$work/ca" --out "$work/root.pem"
./nitro-emu verify "$work/d2.cbor" --root "$work/root.pem"
for doc in test-vectors/real-attestation/*.b64 test-vectors/real-attestation/*.hex; do
  ./nitro-emu verify "$doc" --root aws --at doc >/dev/null
done
if ./nitro-emu verify "$work/d.cbor" --root aws 2>/dev/null; then
  echo "smoke: an emulator document verified against the AWS root" >&2
  exit 1
fi

# The stack with an explicit state directory: the endpoints file says where everything is.
.ci/stack.sh start "$work/stack" --state-dir "$work/state"
grep -q '"vsock" : "vsock://3:9797"' "$work/state/endpoints.json"

# KMS over its JSON protocol, signed by curl: the default key policy lets the account do everything.
kms_call() { # OPERATION JSON-FILE
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:kms" --user test:test \
    -H "X-Amz-Target: TrentService.$1" -H "Content-Type: application/x-amz-json-1.1" \
    --data-binary "@$2" http://127.0.0.1:4599/
}
field() { # NAME: the string value of a top-level JSON field on stdin
  sed -E "s/.*\"$1\" *: *\"([^\"]+)\".*/\1/"
}
printf '{"Description": "smoke"}' > "$work/create.json"
key=$(kms_call CreateKey "$work/create.json" | field KeyId)
printf '{"KeyId": "%s", "Plaintext": "%s"}' "$key" "$(printf 's3cr3t' | openssl base64 -A)" > "$work/encrypt.json"
kms_call Encrypt "$work/encrypt.json" | field CiphertextBlob > "$work/secret.b64"

# An attested Decrypt: openssl's key, nitro-emu attest's document, the envelope opened by openssl.
openssl genrsa -out "$work/enclave.pem" 2048 2>/dev/null
openssl rsa -in "$work/enclave.pem" -pubout -outform DER -out "$work/enclave.der" 2>/dev/null
./nitro-emu attest --public-key "$work/enclave.der" --out "$work/enclave-doc.cbor"
printf '{"CiphertextBlob": "%s", "Recipient": {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": "%s"}}' \
  "$(cat "$work/secret.b64")" "$(openssl base64 -A -in "$work/enclave-doc.cbor")" > "$work/decrypt.json"
kms_call Decrypt "$work/decrypt.json" > "$work/decrypted.json"
if grep -q '"Plaintext"' "$work/decrypted.json"; then
  echo "smoke: an attested Decrypt returned Plaintext" >&2
  exit 1
fi
field CiphertextForRecipient < "$work/decrypted.json" | openssl base64 -d -A > "$work/envelope.der"
[[ "$(openssl cms -decrypt -inform DER -in "$work/envelope.der" -inkey "$work/enclave.pem")" == "s3cr3t" ]]

.ci/stack.sh stop "$work/stack"
[[ ! -e "$work/state/endpoints.json" ]]
echo "CLI smoke test passed"

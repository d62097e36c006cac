#!/usr/bin/env bash
# Smoke test of the launcher as a user runs it: attest/verify/ca, the real AWS documents, and the
# stack started by `./nitro-emu start` used with the AWS CLI, curl (SigV4) and openssl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work="$(mktemp -d)"
stack=""
cleanup() {
  if [[ -n "$stack" ]] && kill -0 "$stack" 2>/dev/null; then kill -TERM "$stack"; wait "$stack" || true; fi
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

# The main job: start the stack and wait until it is ready.
./nitro-emu start --state-dir "$work/state" > "$work/start.log" 2>&1 &
stack=$!
for _ in $(seq 1 120); do
  grep -q "nitro-emu: ready" "$work/start.log" && break
  kill -0 "$stack" 2>/dev/null || break
  sleep 0.5
done
if ! grep -q "nitro-emu: ready" "$work/start.log"; then
  cat "$work/start.log" >&2
  echo "smoke: nitro-emu start did not become ready" >&2
  exit 1
fi
grep -q '"vsock" : "vsock://3:9797"' "$work/state/endpoints.json"

# README's KMS example: a key only an enclave with this PCR0 may decrypt with.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
kms=(aws --endpoint-url http://127.0.0.1:4599 kms)
key=$("${kms[@]}" create-key --query KeyMetadata.KeyId --output text)
pcr0=$(./nitro-emu pcrs | awk '$1 == "PCR0" {print $2}')
cat > "$work/policy.json" <<POLICY
{"Version": "2012-10-17", "Statement": [
  {"Sid": "admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
   "Action": ["kms:Encrypt", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy"], "Resource": "*"},
  {"Sid": "enclave-only", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
   "Action": "kms:Decrypt", "Resource": "*",
   "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:PCR0": "$pcr0"}}}]}
POLICY
./nitro-emu policy lint "$work/policy.json"
"${kms[@]}" put-key-policy --key-id "$key" --policy-name default --policy "file://$work/policy.json"
printf 's3cr3t' > "$work/plain.txt"
"${kms[@]}" encrypt --key-id "$key" --plaintext "fileb://$work/plain.txt" --query CiphertextBlob --output text \
  | base64 -d > "$work/secret.bin"
if "${kms[@]}" decrypt --ciphertext-blob "fileb://$work/secret.bin" > /dev/null 2> "$work/denied.txt"; then
  echo "smoke: decrypt without attestation was allowed" >&2
  exit 1
fi
grep -q AccessDeniedException "$work/denied.txt"

# The enclave side: an RSA key, a document binding it, Decrypt with Recipient (signed by curl's SigV4), CMS opened by openssl.
openssl genrsa -out "$work/enclave.pem" 2048 2>/dev/null
openssl rsa -in "$work/enclave.pem" -pubout -outform DER -out "$work/enclave.der" 2>/dev/null
./nitro-emu attest --public-key "$work/enclave.der" --out "$work/enclave-doc.cbor"
printf '{"CiphertextBlob": "%s", "Recipient": {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": "%s"}}' \
  "$(base64 -w0 "$work/secret.bin")" "$(base64 -w0 "$work/enclave-doc.cbor")" > "$work/decrypt.json"
curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:kms" --user test:test \
  -H "X-Amz-Target: TrentService.Decrypt" -H "Content-Type: application/x-amz-json-1.1" \
  --data-binary "@$work/decrypt.json" http://127.0.0.1:4599/ > "$work/decrypted.json"
if grep -q '"Plaintext"' "$work/decrypted.json"; then
  echo "smoke: an attested Decrypt returned Plaintext" >&2
  exit 1
fi
sed -E 's/.*"CiphertextForRecipient" *: *"([^"]+)".*/\1/' "$work/decrypted.json" | base64 -d > "$work/envelope.der"
[[ "$(openssl cms -decrypt -inform DER -in "$work/envelope.der" -inkey "$work/enclave.pem")" == "s3cr3t" ]]

kill -TERM "$stack"
wait "$stack" || true
grep -q "nitro-emu: stopping" "$work/start.log"
stack=""
echo "CLI smoke test passed"

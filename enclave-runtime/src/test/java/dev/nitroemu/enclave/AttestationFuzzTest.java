package dev.nitroemu.enclave;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Instant;

/**
 * Fuzzes the attestation document decoder and verifier: any bytes verify or fail with {@link
 * AttestationException}, never another exception. The corpus holds the real AWS documents.
 */
class AttestationFuzzTest {
  private static final AttestationVerifier AWS = AttestationVerifier.forAwsRoot();
  private static final VerificationOptions AT_2024 =
      VerificationOptions.defaults().at(Instant.parse("2024-09-07T12:00:00Z"));

  @FuzzTest(maxDuration = "30s")
  void verify(byte[] document) {
    try {
      AWS.verify(document, AT_2024);
    } catch (AttestationException expected) {
      // typed refusal
    }
  }

  @FuzzTest(maxDuration = "30s")
  void decodePayload(byte[] payload) {
    try {
      AttestationDocument.decodePayload(payload);
    } catch (AttestationException expected) {
      // typed refusal
    }
  }
}

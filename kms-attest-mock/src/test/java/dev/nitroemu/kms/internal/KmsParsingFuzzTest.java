package dev.nitroemu.kms.internal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes what the KMS mock parses from the network: request bodies, key policies (then evaluated),
 * and SigV4 Authorization headers. Each either parses or fails with a typed {@link KmsError}.
 */
class KmsParsingFuzzTest {
  private static final String ACCOUNT = "000000000000";
  private static final String KEY =
      "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";

  @FuzzTest(maxDuration = "30s")
  void requestBody(byte[] body) {
    try {
      KmsJson.parseRequest(body);
    } catch (KmsError expected) {
      // SerializationException
    }
  }

  @FuzzTest(maxDuration = "30s")
  void keyPolicy(byte[] bytes) {
    KeyPolicy policy;
    try {
      policy = KeyPolicy.parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (KmsError expected) {
      return;
    }
    PolicyEvaluator.evaluate(
        policy,
        new AuthorizationRequest(
            "kms:Decrypt",
            "arn:aws:iam::" + ACCOUNT + ":root",
            ACCOUNT,
            KEY,
            Map.of("kms:RecipientAttestation:PCR0", List.of("00".repeat(48)))));
  }

  @FuzzTest(maxDuration = "30s")
  void authorizationHeader(byte[] bytes) {
    String value = new String(bytes, StandardCharsets.ISO_8859_1);
    try {
      AuthorizationHeader.parse(value, bytes.length % 2 == 0);
    } catch (KmsError expected) {
      // IncompleteSignatureException and friends
    }
  }
}

package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.kms.KmsCredentials;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Credentials, requests and assertions shared by the SigV4 verifier tests. */
final class SigV4Fixtures {

  // AWS's published SigV4 test suite and the worked example of the IAM User Guide use these.
  static final String SUITE_KEY = "AKIDEXAMPLE";
  static final String SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  static final Instant SUITE_TIME = Instant.parse("2015-08-30T12:36:00Z");
  static final String SUITE_AUTH =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/" + "aws4_request, ";
  static final String STS_TOKEN =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGB"
          + "uFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQ"
          + "DYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9"
          + "Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  static final String ROOT = "arn:aws:iam::111122223333:root";

  static final Instant NOW = Instant.parse("2026-03-14T09:26:53Z");
  static final URI ENDPOINT = URI.create("http://127.0.0.1:4599");
  static final KmsCredentials TEST = KmsCredentials.defaults();
  static final byte[] BODY =
      "{\"KeyId\":\"alias/x\",\"Plaintext\":\"aGk=\"}".getBytes(StandardCharsets.UTF_8);

  private SigV4Fixtures() {}

  /** The verifier of the mock's default credentials, at {@link #NOW}. */
  static SigV4Verifier kmsVerifier() {
    return new SigV4Verifier("us-east-1", "kms", List.of(TEST), fixed(NOW));
  }

  /** The AWS SDK's signer with the default credentials, at {@link #NOW}. */
  static SdkSigner sdkSigner() {
    return SdkSigner.of("test", "test", "us-east-1", fixed(NOW));
  }

  static void assertRejected(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String type, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            KmsError.class,
            e -> {
              assertThat(e.type()).isEqualTo(type);
              assertThat(e.getMessage()).isEqualTo(message);
              assertThat(e.status()).isEqualTo(400);
            });
  }

  static Map<String, List<String>> headers(String... lines) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String line : lines) {
      int colon = line.indexOf(':');
      headers
          .computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
          .add(line.substring(colon + 1));
    }
    return headers;
  }

  static Clock fixed(Instant instant) {
    return Clock.fixed(instant, ZoneOffset.UTC);
  }
}

package dev.nitroemu.kms.internal;

import static dev.nitroemu.kms.internal.SigV4Fixtures.BODY;
import static dev.nitroemu.kms.internal.SigV4Fixtures.ENDPOINT;
import static dev.nitroemu.kms.internal.SigV4Fixtures.NOW;
import static dev.nitroemu.kms.internal.SigV4Fixtures.ROOT;
import static dev.nitroemu.kms.internal.SigV4Fixtures.SUITE_AUTH;
import static dev.nitroemu.kms.internal.SigV4Fixtures.SUITE_KEY;
import static dev.nitroemu.kms.internal.SigV4Fixtures.SUITE_SECRET;
import static dev.nitroemu.kms.internal.SigV4Fixtures.SUITE_TIME;
import static dev.nitroemu.kms.internal.SigV4Fixtures.assertRejected;
import static dev.nitroemu.kms.internal.SigV4Fixtures.fixed;
import static dev.nitroemu.kms.internal.SigV4Fixtures.headers;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.kms.KmsCredentials;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The request time: the five-minute skew window, the HTTP Date header and the ISO-8601 basic
 * format.
 */
class SigV4RequestTimeTest {
  private final SigV4Verifier kms = SigV4Fixtures.kmsVerifier();
  private final SdkSigner sdk = SigV4Fixtures.sdkSigner();

  @Test
  void acceptsRequestsUpToFiveMinutesOffTheServerClock() {
    for (Duration skew :
        List.of(Duration.ofMinutes(-5), Duration.ofMinutes(5), Duration.ofSeconds(-299))) {
      Map<String, List<String>> headers =
          SdkSigner.of("test", "test", "us-east-1", fixed(NOW.plus(skew)))
              .signKms(ENDPOINT, "TrentService.X", BODY);
      assertThat(kms.verify("POST", "/", headers, BODY).accessKeyId())
          .as("skew %s", skew)
          .isEqualTo("test");
    }
  }

  @Test
  void rejectsAnExpiredSignatureWithTheRealKmsText() {
    Map<String, List<String>> headers =
        SdkSigner.of(
                "test", "test", "us-east-1", fixed(NOW.minus(Duration.ofMinutes(5).plusSeconds(1))))
            .signKms(ENDPOINT, "TrentService.X", BODY);

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "InvalidSignatureException",
        "Signature expired: 20260314T092152Z is now earlier than 20260314T092153Z (20260314T092653Z - 5 min.)");
  }

  @Test
  void rejectsASignatureFromTheFutureWithTheRealText() {
    Map<String, List<String>> headers =
        SdkSigner.of("test", "test", "us-east-1", fixed(NOW.plus(Duration.ofMinutes(10))))
            .signKms(ENDPOINT, "TrentService.X", BODY);

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "InvalidSignatureException",
        "Signature not yet current: 20260314T093653Z is still later than 20260314T093153Z (20260314T092653Z + 5"
            + " min.)");
  }

  @Test
  void acceptsAnHttpDateHeaderWhenXAmzDateIsAbsent() {
    SigV4Verifier suite =
        new SigV4Verifier(
            "us-east-1",
            "service",
            List.of(new KmsCredentials(SUITE_KEY, SUITE_SECRET, ROOT)),
            fixed(SUITE_TIME));
    // Same string to sign as the suite's get-vanilla case, whose request time is 20150830T123600Z.
    Map<String, List<String>> headers =
        headers("Host:example.amazonaws.com", "Date:Sun, 30 Aug 2015 12:36:00 GMT");
    String canonical =
        SigV4Verifier.canonicalRequest(
            "GET",
            "/",
            headers,
            "date;host",
            List.of("date", "host"),
            SigV4Verifier.hex(SigV4Verifier.sha256(new byte[0])));
    byte[] key =
        SigV4Verifier.hmac(
            SigV4Verifier.hmac(
                SigV4Verifier.hmac(
                    SigV4Verifier.hmac(
                        ("AWS4" + SUITE_SECRET).getBytes(StandardCharsets.UTF_8),
                        SdkSigner.utf8("20150830")),
                    SdkSigner.utf8("us-east-1")),
                SdkSigner.utf8("service")),
            SdkSigner.utf8("aws4_request"));
    String toSign =
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            + SigV4Verifier.hex(SigV4Verifier.sha256(canonical.getBytes(StandardCharsets.UTF_8)));
    headers.put(
        "Authorization",
        List.of(
            SUITE_AUTH
                + "SignedHeaders=date;host, Signature="
                + SigV4Verifier.hex(
                    SigV4Verifier.hmac(key, toSign.getBytes(StandardCharsets.UTF_8)))));

    assertThat(suite.verify("GET", "/", headers, new byte[0]).accessKeyId()).isEqualTo(SUITE_KEY);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"20260301T120000Z", "20151230T011300Z", "20240229T235959Z", "00010101T000000Z"})
  void readsTheBasicFormatAsTheFormatterDoes(String value) {
    Instant expected =
        java.time.LocalDateTime.parse(
                value, java.time.format.DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'"))
            .toInstant(ZoneOffset.UTC);
    assertThat(SigV4Dates.basicFormat(value)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "20260230T120000Z",
        "20260301T240000Z",
        "20261301T120000Z",
        "20260301T12000Z",
        "20260301T1200000Z",
        "2026030lT120000Z",
        "20260301 120000Z",
        "20260301T120000z",
        "+2026031T120000Z"
      })
  void leavesAnythingElseToTheFormatter(String value) {
    assertThat(SigV4Dates.basicFormat(value)).isNull();
  }
}

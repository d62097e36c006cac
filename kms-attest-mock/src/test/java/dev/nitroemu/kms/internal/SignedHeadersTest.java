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
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * SigV4's rule that every {@code x-amz-*} header a request carries is signed, and its two
 * exemptions.
 */
class SignedHeadersTest {
  private static final Instant NOW = Instant.parse("2026-03-14T09:26:53Z");
  private static final URI ENDPOINT = URI.create("http://127.0.0.1:4599");
  private static final byte[] BODY = "{\"KeyId\":\"alias/x\"}".getBytes(StandardCharsets.UTF_8);
  private static final String SUITE_KEY = "AKIDEXAMPLE";
  private static final String SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  private static final Instant SUITE_TIME = Instant.parse("2015-08-30T12:36:00Z");

  private final SigV4Verifier kms =
      new SigV4Verifier(
          "us-east-1", "kms", List.of(KmsCredentials.defaults()), Clock.fixed(NOW, ZoneOffset.UTC));
  private final SdkSigner sdk =
      SdkSigner.of("test", "test", "us-east-1", Clock.fixed(NOW, ZoneOffset.UTC));

  /**
   * A request the SDK signed without an X-Amz-Target, the header added afterwards as a replay
   * would.
   */
  private Map<String, List<String>> signedWithoutTarget() {
    return sdk.signKms(ENDPOINT, null, BODY);
  }

  @Test
  void refusesAnXAmzTargetThatIsNotSigned() {
    Map<String, List<String>> headers = signedWithoutTarget();
    assertThat(kms.verify("POST", "/", headers, BODY).accessKeyId()).isEqualTo("test");

    headers.put("X-Amz-Target", List.of("TrentService.ScheduleKeyDeletion"));

    assertThatThrownBy(() -> kms.verify("POST", "/", headers, BODY))
        .isInstanceOfSatisfying(
            KmsError.class,
            e -> {
              assertThat(e.type()).isEqualTo("InvalidSignatureException");
              assertThat(e.getMessage())
                  .isEqualTo("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
              assertThat(e.status()).isEqualTo(400);
            });
  }

  @Test
  void refusesAnyOtherUnsignedAmzHeaderNamingItAsSent() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.DescribeKey", BODY);
    headers.put("x-AMZ-Meta-Extra", List.of("1"));
    headers.put("X-Amz-Zzz", List.of("2"));

    assertThatThrownBy(() -> kms.verify("POST", "/", headers, BODY))
        .isInstanceOfSatisfying(
            KmsError.class,
            e ->
                assertThat(e.getMessage())
                    .isEqualTo(
                        "'x-AMZ-Meta-Extra' must be a 'SignedHeader' in the AWS Authorization."));
  }

  @Test
  void refusesAnUnsignedSessionToken() {
    KmsCredentials session = KmsCredentials.defaults().withSessionToken("token-1");
    SigV4Verifier verifier =
        new SigV4Verifier("us-east-1", "kms", List.of(session), Clock.fixed(NOW, ZoneOffset.UTC));
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.DescribeKey", BODY);
    headers.put("X-Amz-Security-Token", List.of("token-1"));

    assertThatThrownBy(() -> verifier.verify("POST", "/", headers, BODY))
        .isInstanceOfSatisfying(
            KmsError.class,
            e ->
                assertThat(e.getMessage())
                    .startsWith("'X-Amz-Security-Token' must be a 'SignedHeader'"));
    assertThat(
            verifier
                .verify(
                    "POST",
                    "/",
                    sdk.withSessionToken("token-1")
                        .signKms(ENDPOINT, "TrentService.DescribeKey", BODY),
                    BODY)
                .accessKeyId())
        .isEqualTo("test");
  }

  @Test
  void acceptsAnUnsignedTraceIdBecauseXAmznIsNotXAmz() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.DescribeKey", BODY);
    headers.put("X-Amzn-Trace-Id", List.of("Root=1-5759e988-bd862e3fe1be46a994272793"));

    assertThat(kms.verify("POST", "/", headers, BODY).accessKeyId()).isEqualTo("test");
  }

  @Test
  void acceptsAnUnsignedContentSha256BecauseThePayloadHashCoversIt() {
    // The AWS SigV4 test suite's post-vanilla request (signed: host;x-amz-date), plus the body hash
    // header.
    SigV4Verifier suite =
        new SigV4Verifier(
            "us-east-1",
            "service",
            List.of(new KmsCredentials(SUITE_KEY, SUITE_SECRET, "arn:aws:iam::111122223333:root")),
            Clock.fixed(SUITE_TIME, ZoneOffset.UTC));
    Map<String, List<String>> headers =
        headers(
            "Host:example.amazonaws.com",
            "X-Amz-Date:20150830T123600Z",
            "Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
                + " SignedHeaders=host;x-amz-date,"
                + " Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    headers.put(
        "X-Amz-Content-Sha256", List.of(SigV4Verifier.hex(SigV4Verifier.sha256(new byte[0]))));

    assertThat(suite.verify("POST", "/", headers, new byte[0]).accessKeyId()).isEqualTo(SUITE_KEY);
    assertThatThrownBy(
            () -> suite.verify("POST", "/", headers, "x".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(
            KmsError.class, e -> assertThat(e.type()).isEqualTo("InvalidSignatureException"));
  }

  @Test
  void acceptsAnUnsignedXAmzDateBecauseTheStringToSignCoversIt() {
    SdkHttpRequest request =
        SdkHttpRequest.builder()
            .method(SdkHttpMethod.POST)
            .uri(ENDPOINT.resolve("/"))
            .putHeader("X-Amz-Target", "TrentService.DescribeKey")
            .build();
    Map<String, List<String>> headers = sdk.sign(request, BODY);
    String authorization = headers.get("Authorization").get(0);
    String signedHeaders = authorization.replaceAll(".*SignedHeaders=([^,]+),.*", "$1");
    String withoutDate = signedHeaders.replace(";x-amz-date", "");
    headers.put(
        "Authorization",
        List.of(
            authorization
                .replace(signedHeaders, withoutDate)
                .replaceAll(
                    "Signature=[0-9a-f]+", "Signature=" + signature(headers, withoutDate))));

    assertThat(kms.verify("POST", "/", headers, BODY).accessKeyId()).isEqualTo("test");
  }

  /**
   * The signature of this test's request with {@code signedHeaders}, computed as SigV4 specifies.
   */
  private static String signature(Map<String, List<String>> headers, String signedHeaders) {
    String canonical =
        SigV4Verifier.canonicalRequest(
            "POST",
            "/",
            headers,
            signedHeaders,
            List.of(signedHeaders.split(";")),
            SigV4Verifier.hex(SigV4Verifier.sha256(BODY)));
    String toSign =
        "AWS4-HMAC-SHA256\n20260314T092653Z\n20260314/us-east-1/kms/aws4_request\n"
            + SigV4Verifier.hex(SigV4Verifier.sha256(canonical.getBytes(StandardCharsets.UTF_8)));
    byte[] key = SigV4Verifier.hmac("AWS4test".getBytes(StandardCharsets.UTF_8), utf8("20260314"));
    for (String part : List.of("us-east-1", "kms", "aws4_request")) {
      key = SigV4Verifier.hmac(key, utf8(part));
    }
    return SigV4Verifier.hex(SigV4Verifier.hmac(key, utf8(toSign)));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, List<String>> headers(String... lines) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String line : lines) {
      int colon = line.indexOf(':');
      headers
          .computeIfAbsent(line.substring(0, colon), k -> new ArrayList<>())
          .add(line.substring(colon + 1));
    }
    return headers;
  }
}

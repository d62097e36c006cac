package dev.nitroemu.kms.internal;

import static dev.nitroemu.kms.internal.SigV4Fixtures.BODY;
import static dev.nitroemu.kms.internal.SigV4Fixtures.ENDPOINT;
import static dev.nitroemu.kms.internal.SigV4Fixtures.NOW;
import static dev.nitroemu.kms.internal.SigV4Fixtures.ROOT;
import static dev.nitroemu.kms.internal.SigV4Fixtures.STS_TOKEN;
import static dev.nitroemu.kms.internal.SigV4Fixtures.SUITE_AUTH;
import static dev.nitroemu.kms.internal.SigV4Fixtures.SUITE_KEY;
import static dev.nitroemu.kms.internal.SigV4Fixtures.SUITE_SECRET;
import static dev.nitroemu.kms.internal.SigV4Fixtures.SUITE_TIME;
import static dev.nitroemu.kms.internal.SigV4Fixtures.TEST;
import static dev.nitroemu.kms.internal.SigV4Fixtures.assertRejected;
import static dev.nitroemu.kms.internal.SigV4Fixtures.fixed;
import static dev.nitroemu.kms.internal.SigV4Fixtures.headers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.kms.KmsCredentials;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * SigV4 signatures: AWS's published test suite, the IAM User Guide example and requests the AWS SDK
 * signs.
 */
class SigV4VerifierTest {
  private final SigV4Verifier kms = SigV4Fixtures.kmsVerifier();
  private final SdkSigner sdk = SigV4Fixtures.sdkSigner();

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      get-vanilla | GET / | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
      post-vanilla | POST / | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b
      post-vanilla-query | POST /?Param1=value1 | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11
      get-vanilla-query-order-key-case | GET /?Param2=value2&Param1=value1 | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500
      get-vanilla-query-order-key | GET /?Param1=value2&Param1=Value1 | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1
      get-vanilla-query-order-encoded | GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac
      get-vanilla-query-unreserved | GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197
      get-header-key-duplicate | GET / | Host:example.amazonaws.com;My-Header1:value2;My-Header1:value2;My-Header1:value1;X-Amz-Date:20150830T123600Z | | host;my-header1;x-amz-date | c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea
      get-header-value-order | GET / | Host:example.amazonaws.com;My-Header1:value4;My-Header1:value1;My-Header1:value3;My-Header1:value2;X-Amz-Date:20150830T123600Z | | host;my-header1;x-amz-date | 08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01
      get-header-value-trim | GET / | Host:example.amazonaws.com;My-Header1: value1;My-Header2: "a   b   c";X-Amz-Date:20150830T123600Z | | host;my-header1;my-header2;x-amz-date | acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736
      post-header-key-sort | POST / | Host:example.amazonaws.com;My-Header1:value1;X-Amz-Date:20150830T123600Z | | host;my-header1;x-amz-date | c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c
      post-header-value-case | POST / | Host:example.amazonaws.com;My-Header1:VALUE1;X-Amz-Date:20150830T123600Z | | host;my-header1;x-amz-date | cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d
      post-x-www-form-urlencoded | POST / | Content-Type:application/x-www-form-urlencoded;Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | Param1=value1 | content-type;host;x-amz-date | ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a
      get-relative | GET /example/.. | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
      get-relative-relative | GET /example1/example2/../.. | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
      get-slash | GET // | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
      get-slash-dot-slash | GET /./ | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
      get-slash-pointless-dot | GET /./example | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5
      get-slashes | GET //example// | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84
      get-special-character | GET /example/$delete | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27
      get-unreserved | GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz | Host:example.amazonaws.com;X-Amz-Date:20150830T123600Z | | host;x-amz-date | 07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f
      """)
  void acceptsEveryCaseOfTheAwsSigV4TestSuite(
      String name,
      String requestLine,
      String headerList,
      String body,
      String signedHeaders,
      String signature) {
    SigV4Verifier suite =
        new SigV4Verifier(
            "us-east-1",
            "service",
            List.of(new KmsCredentials(SUITE_KEY, SUITE_SECRET, ROOT)),
            fixed(SUITE_TIME));
    Map<String, List<String>> headers = headers(headerList.split(";"));
    headers.put(
        "Authorization",
        List.of(SUITE_AUTH + "SignedHeaders=" + signedHeaders + ", Signature=" + signature));
    String[] line = requestLine.split(" ");
    byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);

    CallerIdentity caller = suite.verify(line[0], line[1], headers, payload);

    assertThat(caller).isEqualTo(new CallerIdentity(SUITE_KEY, ROOT, "111122223333", "us-east-1"));
    headers.put(
        "Authorization",
        List.of(
            SUITE_AUTH
                + "SignedHeaders="
                + signedHeaders
                + ", Signature="
                + signature.substring(0, 63)
                + (signature.endsWith("0") ? "1" : "0")));
    assertThatThrownBy(() -> suite.verify(line[0], line[1], headers, payload))
        .isInstanceOfSatisfying(
            KmsError.class, e -> assertThat(e.type()).isEqualTo("InvalidSignatureException"));
  }

  @Test
  void acceptsTheSessionTokenCaseOfTheTestSuiteOnlyWithThatToken() {
    KmsCredentials session = new KmsCredentials(SUITE_KEY, SUITE_SECRET, ROOT, STS_TOKEN);
    SigV4Verifier suite =
        new SigV4Verifier("us-east-1", "service", List.of(session), fixed(SUITE_TIME));
    Map<String, List<String>> headers =
        headers(
            "Host:example.amazonaws.com",
            "X-Amz-Date:20150830T123600Z",
            "X-Amz-Security-Token:" + STS_TOKEN);
    headers.put(
        "Authorization",
        List.of(
            SUITE_AUTH
                + "SignedHeaders=host;x-amz-date;x-amz-security-token,"
                + " Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));

    assertThat(suite.verify("POST", "/", headers, new byte[0]).accessKeyId()).isEqualTo(SUITE_KEY);

    SigV4Verifier otherToken =
        new SigV4Verifier(
            "us-east-1",
            "service",
            List.of(session.withSessionToken("another-token")),
            fixed(SUITE_TIME));
    assertRejected(
        () -> otherToken.verify("POST", "/", headers, new byte[0]),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.");
  }

  @Test
  void reproducesTheWorkedExampleOfTheIamUserGuide() {
    SigV4Verifier iam =
        new SigV4Verifier(
            "us-east-1",
            "iam",
            List.of(new KmsCredentials(SUITE_KEY, SUITE_SECRET, ROOT)),
            fixed(SUITE_TIME));
    Map<String, List<String>> headers =
        headers(
            "Content-Type:application/x-www-form-urlencoded; charset=utf-8",
            "Host:iam.amazonaws.com",
            "X-Amz-Date:20150830T123600Z");
    String canonical =
        SigV4Verifier.canonicalRequest(
            "GET",
            "/?Action=ListUsers&Version=2010-05-08",
            headers,
            "content-type;host;x-amz-date",
            List.of("content-type", "host", "x-amz-date"),
            SigV4Verifier.hex(SigV4Verifier.sha256(new byte[0])));
    headers.put(
        "Authorization",
        List.of(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
                + "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"));

    assertThat(SigV4Verifier.hex(SigV4Verifier.sha256(canonical.getBytes(StandardCharsets.UTF_8))))
        .isEqualTo("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
    assertThat(
            iam.verify("GET", "/?Action=ListUsers&Version=2010-05-08", headers, new byte[0])
                .principalArn())
        .isEqualTo(ROOT);
  }

  @Test
  void acceptsRequestsSignedByTheAwsSdkSigner() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.Encrypt", BODY);

    CallerIdentity caller = kms.verify("POST", "/", headers, BODY);

    assertThat(caller)
        .isEqualTo(
            new CallerIdentity(
                "test", "arn:aws:iam::000000000000:root", "000000000000", "us-east-1"));
  }

  @Test
  void honoursXAmzContentSha256AsTheSdkSignerAndTheNitroSdkSendIt() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.Encrypt", BODY);
    assertThat(headers.get("x-amz-content-sha256"))
        .containsExactly(SigV4Verifier.hex(SigV4Verifier.sha256(BODY)));
    assertThat(kms.verify("POST", "/", headers, BODY).accessKeyId()).isEqualTo("test");

    byte[] otherBody =
        "{\"KeyId\":\"alias/y\",\"Plaintext\":\"aGk=\"}".getBytes(StandardCharsets.UTF_8);
    assertRejected(
        () -> kms.verify("POST", "/", headers, otherBody),
        "InvalidSignatureException",
        "The provided 'x-amz-content-sha256' header does not match what was computed.");
    headers.put(
        "x-amz-content-sha256", List.of(SigV4Verifier.hex(SigV4Verifier.sha256(otherBody))));
    assertRejected(
        () -> kms.verify("POST", "/", headers, otherBody),
        "InvalidSignatureException",
        SigV4Verifier.MISMATCH_MESSAGE);
  }

  @Test
  void hashesTheBodyItselfWhenNoContentHashHeaderIsSent() {
    SigV4Verifier suite =
        new SigV4Verifier(
            "us-east-1",
            "service",
            List.of(new KmsCredentials(SUITE_KEY, SUITE_SECRET, ROOT)),
            fixed(SUITE_TIME));
    Map<String, List<String>> headers =
        headers(
            "Content-Type:application/x-www-form-urlencoded",
            "Host:example.amazonaws.com",
            "X-Amz-Date:20150830T123600Z");
    headers.put(
        "Authorization",
        List.of(
            SUITE_AUTH
                + "SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"));

    assertThat(suite.verify("POST", "/", headers, SdkSigner.utf8("Param1=value1")).accessKeyId())
        .isEqualTo(SUITE_KEY);
    assertRejected(
        () -> suite.verify("POST", "/", headers, SdkSigner.utf8("Param1=value2")),
        "InvalidSignatureException",
        SigV4Verifier.MISMATCH_MESSAGE);
  }

  @Test
  void acceptsSdkSignedRequestsWithAConfiguredSessionToken() {
    SigV4Verifier withToken =
        new SigV4Verifier(
            "us-east-1", "kms", List.of(TEST.withSessionToken("session-123")), fixed(NOW));
    Map<String, List<String>> headers =
        sdk.withSessionToken("session-123").signKms(ENDPOINT, "TrentService.X", BODY);

    assertThat(withToken.verify("POST", "/", headers, BODY).accessKeyId()).isEqualTo("test");

    Map<String, List<String>> wrongToken =
        sdk.withSessionToken("session-999").signKms(ENDPOINT, "TrentService.X", BODY);
    assertRejected(
        () -> withToken.verify("POST", "/", wrongToken, BODY),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.");
    Map<String, List<String>> noToken = sdk.signKms(ENDPOINT, "TrentService.X", BODY);
    assertRejected(
        () -> withToken.verify("POST", "/", noToken, BODY),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.");
  }

  @Test
  void longTermCredentialsAcceptASessionTokenTheClientInsistsOnSending() {
    Map<String, List<String>> headers =
        sdk.withSessionToken("anything").signKms(ENDPOINT, "TrentService.X", BODY);

    assertThat(kms.verify("POST", "/", headers, BODY).accessKeyId()).isEqualTo("test");
  }

  @Test
  void rejectsAWrongSecretWithTheRealMismatchText() {
    Map<String, List<String>> headers =
        SdkSigner.of("test", "wrong", "us-east-1", fixed(NOW))
            .signKms(ENDPOINT, "TrentService.Encrypt", BODY);

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret"
            + " Access Key and signing method. Consult the service documentation for details.");
  }

  @Test
  void rejectsAnyChangeToTheBodyOrASignedHeader() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.Encrypt", BODY);
    Map<String, List<String>> otherTarget = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    otherTarget.putAll(headers);
    otherTarget.put("X-Amz-Target", List.of("TrentService.Decrypt"));
    assertRejected(
        () -> kms.verify("POST", "/", otherTarget, BODY),
        "InvalidSignatureException",
        SigV4Verifier.MISMATCH_MESSAGE);
    assertRejected(
        () -> kms.verify("POST", "/?x=1", headers, BODY),
        "InvalidSignatureException",
        SigV4Verifier.MISMATCH_MESSAGE);
    assertRejected(
        () -> kms.verify("PUT", "/", headers, BODY),
        "InvalidSignatureException",
        SigV4Verifier.MISMATCH_MESSAGE);
  }

  @Test
  void refusesTwoCredentialsWithOneAccessKeyId() {
    assertThatThrownBy(
            () ->
                new SigV4Verifier(
                    "us-east-1",
                    "kms",
                    List.of(TEST, new KmsCredentials("test", "other", ROOT)),
                    fixed(NOW)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duplicate access key id test");
  }

  @Test
  void signsTheDoubleEncodedPathAsTheSdkDoes() {
    SdkHttpRequest request =
        SdkHttpRequest.builder()
            .method(SdkHttpMethod.POST)
            .uri(URI.create("http://127.0.0.1:4599/a%20b/c"))
            .build();
    Map<String, List<String>> headers = sdk.sign(request, BODY);

    assertThat(kms.verify("POST", "/a%20b/c", headers, BODY).accessKeyId()).isEqualTo("test");
  }
}

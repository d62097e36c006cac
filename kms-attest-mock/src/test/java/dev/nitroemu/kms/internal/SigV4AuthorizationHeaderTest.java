package dev.nitroemu.kms.internal;

import static dev.nitroemu.kms.internal.SigV4Fixtures.BODY;
import static dev.nitroemu.kms.internal.SigV4Fixtures.ENDPOINT;
import static dev.nitroemu.kms.internal.SigV4Fixtures.NOW;
import static dev.nitroemu.kms.internal.SigV4Fixtures.assertRejected;
import static dev.nitroemu.kms.internal.SigV4Fixtures.fixed;
import static dev.nitroemu.kms.internal.SigV4Fixtures.headers;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Authorization headers that are missing, malformed or scoped wrongly, rejected with the real KMS
 * texts.
 */
class SigV4AuthorizationHeaderTest {
  private final SigV4Verifier kms = SigV4Fixtures.kmsVerifier();
  private final SdkSigner sdk = SigV4Fixtures.sdkSigner();

  @Test
  void rejectsAnUnknownAccessKeyId() {
    Map<String, List<String>> headers =
        SdkSigner.of("AKIAUNKNOWN", "test", "us-east-1", fixed(NOW))
            .signKms(ENDPOINT, "TrentService.X", BODY);

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.");
  }

  @Test
  void rejectsAMissingAuthorizationHeader() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.X", BODY);
    headers.remove("Authorization");

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"garbage", "Bearer abc.def", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 nonsense", ""})
  void rejectsAnUnparsableAuthorizationHeaderAsIncomplete(String authorization) {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.X", BODY);
    headers.put("Authorization", List.of(authorization));

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature'"
            + " parameter. Authorization header requires 'SignedHeaders' parameter.");
  }

  @Test
  void namesEachMissingPartOfTheAuthorizationHeader() {
    Map<String, List<String>> headers =
        headers("Host:h", "Authorization:AWS4-HMAC-SHA256 Credential=a/b/c/d/e");

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "IncompleteSignatureException",
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders'"
            + " parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }

  @Test
  void rejectsAnotherSigningAlgorithm() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.X", BODY);
    headers.put(
        "Authorization",
        List.of(
            headers
                .get("Authorization")
                .get(0)
                .replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")));

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "IncompleteSignatureException",
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'");
  }

  @Test
  void rejectsACredentialWithoutFiveElements() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.X", BODY);
    headers.put(
        "Authorization",
        List.of(headers.get("Authorization").get(0).replace("/kms/aws4_request", "/kms")));

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "IncompleteSignatureException",
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got"
            + " 'test/20260314/us-east-1/kms'");
  }

  @Test
  void requiresTheHostHeaderToBeSigned() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.X", BODY);
    headers.put("Authorization", List.of(headers.get("Authorization").get(0).replace("host;", "")));

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "InvalidSignatureException",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  @Test
  void rejectsADateNotInIsoBasicFormat() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.X", BODY);
    headers.put("X-Amz-Date", List.of("2026-03-14T09:26:53Z"));

    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "IncompleteSignatureException",
        "Date must be in ISO-8601 'basic format'. Got '2026-03-14T09:26:53Z'. See http://en.wikipedia.org/wiki/ISO_8601");
  }

  @Test
  void rejectsAScopeForAnotherServiceOrRegion() {
    Map<String, List<String>> s3 = sdk.forService("s3").signKms(ENDPOINT, "TrentService.X", BODY);
    assertRejected(
        () -> kms.verify("POST", "/", s3, BODY),
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'kms'. ");

    Map<String, List<String>> west =
        sdk.forRegion("eu-west-1").signKms(ENDPOINT, "TrentService.X", BODY);
    assertRejected(
        () -> kms.verify("POST", "/", west, BODY),
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'. ");
  }

  @Test
  void rejectsAScopeWithAnotherTerminatorOrDate() {
    Map<String, List<String>> headers = sdk.signKms(ENDPOINT, "TrentService.X", BODY);
    String authorization = headers.get("Authorization").get(0);
    headers.put("Authorization", List.of(authorization.replace("aws4_request", "aws5_request")));
    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "InvalidSignatureException",
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ");

    headers.put("Authorization", List.of(authorization.replace("/20260314/", "/20260313/")));
    assertRejected(
        () -> kms.verify("POST", "/", headers, BODY),
        "InvalidSignatureException",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260313' !="
            + " '20260314', from '20260314T092653Z'.");
  }
}

package dev.nitroemu.kms.internal;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/**
 * Signs raw KMS requests with the AWS SDK's own SigV4 signer ({@link AwsV4HttpSigner}), for tests.
 * Like the Nitro Enclaves SDK, this signer always sends and signs {@code x-amz-content-sha256}.
 */
public final class SdkSigner {
  private final String accessKeyId;
  private final String secret;
  private final String sessionToken;
  private final String region;
  private final String service;
  private final Clock clock;

  private SdkSigner(
      String accessKeyId,
      String secret,
      String sessionToken,
      String region,
      String service,
      Clock clock) {
    this.accessKeyId = accessKeyId;
    this.secret = secret;
    this.sessionToken = sessionToken;
    this.region = region;
    this.service = service;
    this.clock = clock;
  }

  /** A signer for {@code kms} in {@code region} with long-term credentials. */
  public static SdkSigner of(String accessKeyId, String secret, String region, Clock clock) {
    return new SdkSigner(accessKeyId, secret, null, region, "kms", clock);
  }

  /** The same signer with a session token. */
  public SdkSigner withSessionToken(String token) {
    return new SdkSigner(accessKeyId, secret, token, region, service, clock);
  }

  /** The same signer signing for another service name. */
  public SdkSigner forService(String name) {
    return new SdkSigner(accessKeyId, secret, sessionToken, region, name, clock);
  }

  /** The same signer signing for another region. */
  public SdkSigner forRegion(String name) {
    return new SdkSigner(accessKeyId, secret, sessionToken, name, service, clock);
  }

  /**
   * Signs {@code POST /} to {@code endpoint} with the target and body; returns all headers to send.
   */
  public Map<String, List<String>> signKms(URI endpoint, String target, byte[] body) {
    SdkHttpRequest.Builder request =
        SdkHttpRequest.builder()
            .method(SdkHttpMethod.POST)
            .uri(endpoint.resolve("/"))
            .putHeader("Content-Type", KmsJson.CONTENT_TYPE)
            .putHeader("Content-Length", Integer.toString(body.length));
    if (target != null) {
      request.putHeader("X-Amz-Target", target);
    }
    return sign(request.build(), body);
  }

  /** Signs an arbitrary request. */
  public Map<String, List<String>> sign(SdkHttpRequest request, byte[] body) {
    AwsCredentialsIdentity identity =
        sessionToken == null
            ? AwsCredentialsIdentity.create(accessKeyId, secret)
            : AwsSessionCredentialsIdentity.create(accessKeyId, secret, sessionToken);
    SdkHttpRequest unsigned = request;
    SignedRequest signed =
        AwsV4HttpSigner.create()
            .sign(
                r ->
                    r.identity(identity)
                        .request(unsigned)
                        .payload(ContentStreamProvider.fromByteArray(body))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                        .putProperty(HttpSigner.SIGNING_CLOCK, clock));
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.putAll(signed.request().headers());
    return headers;
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}

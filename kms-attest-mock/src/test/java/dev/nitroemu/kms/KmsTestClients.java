package dev.nitroemu.kms;

import java.net.URI;
import java.time.Clock;
import java.util.stream.Collectors;
import org.assertj.core.api.Assertions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.auth.scheme.KmsAuthSchemeProvider;
import software.amazon.awssdk.services.kms.model.KmsException;

/** Unmodified AWS SDK v2 KMS clients pointed at a {@link KmsMockServer}, for tests. */
final class KmsTestClients {
  private KmsTestClients() {}

  /** A client with the server's first credentials and the SDK's standard retries. */
  static KmsClient client(KmsMockServer server) {
    KmsCredentials c = server.credentials();
    return client(
        server.endpoint(),
        server.region(),
        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey()),
        true);
  }

  /** A client with the given keys that never retries, so the first error is what the test sees. */
  static KmsClient noRetry(KmsMockServer server, String accessKeyId, String secret) {
    return client(
        server.endpoint(), server.region(), AwsBasicCredentials.create(accessKeyId, secret), false);
  }

  /** A client with session credentials that never retries. */
  static KmsClient session(KmsMockServer server, String accessKeyId, String secret, String token) {
    return client(
        server.endpoint(),
        server.region(),
        AwsSessionCredentials.create(accessKeyId, secret, token),
        false);
  }

  /**
   * A client for one of the server's regions, with the given keys, that signs with {@code clock}
   * (so a test can move the mock's clock by months and still pass its 5-minute SigV4 check) and
   * never retries.
   */
  static KmsClient at(
      KmsMockServer server, String region, String accessKeyId, String secret, Clock clock) {
    KmsAuthSchemeProvider defaults = KmsAuthSchemeProvider.defaultProvider();
    return KmsClient.builder()
        .endpointOverride(server.endpoint())
        .region(Region.of(region))
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secret)))
        .authSchemeProvider(
            params ->
                defaults.resolveAuthScheme(params).stream()
                    .map(
                        option ->
                            option.toBuilder()
                                .putSignerProperty(HttpSigner.SIGNING_CLOCK, clock)
                                .build())
                    .collect(Collectors.toList()))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
        .build();
  }

  /**
   * The error a call fails with, as the SDK reports it (code and message from the response body).
   */
  static AwsErrorDetails error(Runnable call) {
    KmsException e = Assertions.catchThrowableOfType(KmsException.class, call::run);
    Assertions.assertThat(e).as("the call should fail with a KMS error").isNotNull();
    return e.awsErrorDetails();
  }

  static KmsClient client(
      URI endpoint, String region, AwsCredentials credentials, boolean retries) {
    return KmsClient.builder()
        .endpointOverride(endpoint)
        .region(Region.of(region))
        .credentialsProvider(StaticCredentialsProvider.create(credentials))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(retries ? 3 : 1)))
        .build();
  }
}

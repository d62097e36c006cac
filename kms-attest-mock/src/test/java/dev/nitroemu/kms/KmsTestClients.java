package dev.nitroemu.kms;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/** Unmodified AWS SDK v2 KMS clients pointed at a {@link KmsMockServer}, for tests. */
final class KmsTestClients {
  private KmsTestClients() {}

  /** A client with the server's first credentials and the SDK's standard retries. */
  static KmsClient client(KmsMockServer server) {
    KmsCredentials c = server.credentials();
    return client(server.endpoint(), server.region(), AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey()),
        true);
  }

  /** A client with the given keys that never retries, so the first error is what the test sees. */
  static KmsClient noRetry(KmsMockServer server, String accessKeyId, String secret) {
    return client(server.endpoint(), server.region(), AwsBasicCredentials.create(accessKeyId, secret), false);
  }

  /** A client with session credentials that never retries. */
  static KmsClient session(KmsMockServer server, String accessKeyId, String secret, String token) {
    return client(server.endpoint(), server.region(), AwsSessionCredentials.create(accessKeyId, secret, token), false);
  }

  static KmsClient client(URI endpoint, String region, AwsCredentials credentials, boolean retries) {
    return KmsClient.builder()
        .endpointOverride(endpoint)
        .region(Region.of(region))
        .credentialsProvider(StaticCredentialsProvider.create(credentials))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(retries ? 3 : 1)))
        .build();
  }
}

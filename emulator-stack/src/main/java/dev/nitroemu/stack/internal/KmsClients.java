package dev.nitroemu.stack.internal;

import dev.nitroemu.enclave.ConnectBridge;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import javax.net.ssl.TrustManager;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.auth.spi.scheme.AuthSchemeOption;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.auth.scheme.KmsAuthSchemeProvider;

/** Builds the AWS SDK {@link KmsClient}s the environment injects, one per mode. */
public final class KmsClients {

  private KmsClients() {}

  /**
   * A client for the KMS mock at {@code endpoint} that signs with {@code signingClock}, so a test
   * that moves the environment's clock moves the SDK's SigV4 timestamps with it and the mock's ±5
   * minute check keeps passing.
   */
  public static KmsClient emulated(
      URI endpoint, Region region, AwsCredentialsProvider credentials, Clock signingClock) {
    return emulated(endpoint, region, credentials, signingClock, null);
  }

  /**
   * As {@link #emulated(URI, Region, AwsCredentialsProvider, Clock)}, trusting {@code trust} for an
   * HTTPS endpoint (e.g. the KMS TLS CA's trust managers); null keeps the JDK's default trust.
   */
  public static KmsClient emulated(
      URI endpoint,
      Region region,
      AwsCredentialsProvider credentials,
      Clock signingClock,
      TrustManager[] trust) {
    KmsAuthSchemeProvider defaults = KmsAuthSchemeProvider.defaultProvider();
    UrlConnectionHttpClient.Builder http = UrlConnectionHttpClient.builder();
    if (trust != null) {
      TrustManager[] copy = trust.clone();
      http.tlsTrustManagersProvider(() -> copy);
    }
    return KmsClient.builder()
        .endpointOverride(Objects.requireNonNull(endpoint, "endpoint"))
        .region(region)
        .credentialsProvider(credentials)
        .authSchemeProvider(
            params -> withSigningClock(defaults.resolveAuthScheme(params), signingClock))
        .httpClientBuilder(http)
        .build();
  }

  /**
   * A client for real KMS in {@code region} that reaches {@code kms.<region>.amazonaws.com:443}
   * through the HTTP CONNECT proxy at {@code proxy} (a {@link ConnectBridge}): the SDK keeps its
   * default endpoint, TLS and SigV4 see the real host name, and no DNS is needed.
   */
  public static KmsClient throughConnectProxy(
      Region region, InetSocketAddress proxy, AwsCredentialsProvider credentials) {
    URI proxyUri = URI.create("http://" + proxy.getHostString() + ":" + proxy.getPort());
    return KmsClient.builder()
        .region(region)
        .credentialsProvider(credentials)
        .httpClientBuilder(
            UrlConnectionHttpClient.builder()
                .proxyConfiguration(
                    p ->
                        p.endpoint(proxyUri)
                            .useSystemPropertyValues(false)
                            .useEnvironmentVariablesValues(false)))
        .build();
  }

  /**
   * The credentials real mode uses: system properties, then environment variables (never instance
   * metadata, which an enclave cannot reach). Resolution is lazy, so credentials handed in after
   * the environment starts are seen; when there are none, the error says what to set.
   */
  public static AwsCredentialsProvider realCredentials() {
    return explained(
        AwsCredentialsProviderChain.builder()
            .credentialsProviders(
                SystemPropertyCredentialsProvider.create(),
                EnvironmentVariableCredentialsProvider.create())
            .reuseLastProviderEnabled(false)
            .build());
  }

  /** {@code chain}, with its "no credentials" failure replaced by one that says what to set. */
  static AwsCredentialsProvider explained(AwsCredentialsProvider chain) {
    return new AwsCredentialsProvider() {
      @Override
      public AwsCredentials resolveCredentials() {
        try {
          return chain.resolveCredentials();
        } catch (SdkClientException e) {
          throw SdkClientException.create(
              "nitro.mode=real has no AWS credentials for KMS: set the system"
                  + " properties aws.accessKeyId, aws.secretAccessKey and aws.sessionToken (or AWS_ACCESS_KEY_ID,"
                  + " AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN) to the parent instance role's temporary"
                  + " credentials, handed into the enclave at start",
              e);
        }
      }

      @Override
      public String toString() {
        return "NitroRealModeCredentials(system properties, environment)";
      }
    };
  }

  private static List<AuthSchemeOption> withSigningClock(
      List<AuthSchemeOption> options, Clock clock) {
    return options.stream()
        .map(
            option -> option.toBuilder().putSignerProperty(HttpSigner.SIGNING_CLOCK, clock).build())
        .collect(Collectors.toList());
  }
}

package dev.nitroemu.cli;

import dev.nitroemu.enclave.AwsRegion;
import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.nsm.SoftwareNsm;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The enclave side of one {@code nitro-emu kms} call, as {@code kmstool-enclave-cli} does it: an
 * NSM (the running stack's NSM service, or an offline emulated one), an {@link EnclaveKmsClient}
 * over it (RSA-2048 recipient key, attestation document, {@code Recipient}, CMS unwrap) and the
 * last {@code CiphertextForRecipient} seen, for {@code --envelope-out}. Says on stderr which NSM
 * attests.
 */
final class KmsEnclaveSession implements AutoCloseable {
  /** The stack's KMS when nothing else names an endpoint. */
  static final URI DEFAULT_ENDPOINT =
      URI.create("http://127.0.0.1:" + StartCommand.DEFAULT_KMS_PORT);

  static final String DEFAULT_REGION = "us-east-1";

  /**
   * The stack's access key and secret ({@code test}/{@code test}) when neither the environment nor
   * the stack names others.
   */
  static final String DEFAULT_CREDENTIAL = "test";

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

  private final ResourceList<AutoCloseable> resources = new ResourceList<>();
  private final AtomicReference<byte[]> lastEnvelope = new AtomicReference<>();
  private URI endpoint;
  private EnclaveKmsClient client;

  private KmsEnclaveSession() {}

  /**
   * Picks the NSM and the KMS endpoint from the options, the environment and the running stack.
   *
   * @throws CliFailure exit 2 for unusable options, 1 if the NSM or the stack cannot be used
   */
  static KmsEnclaveSession open(NitroEmu.CliEnvironment env, KmsOptions options, PrintWriter err) {
    KmsEnclaveSession session = new KmsEnclaveSession();
    try {
      session.start(env, options, err);
      return session;
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  private void start(NitroEmu.CliEnvironment env, KmsOptions options, PrintWriter err) {
    String choice = options.nsm;
    if (!KmsOptions.NSM_AUTO.equals(choice)
        && !KmsOptions.NSM_STACK.equals(choice)
        && !KmsOptions.NSM_OFFLINE.equals(choice)) {
      throw new CliFailure("--nsm: expected auto, stack or offline, got '" + choice + "'", 2);
    }
    if (options.offlineOptionsGiven() && !KmsOptions.NSM_OFFLINE.equals(choice)) {
      throw new CliFailure(
          "--ca, --profile and --debug set up an offline NSM: add --nsm offline", 2);
    }
    Path endpointsFile =
        options.endpointsFile != null
            ? env.resolve(options.endpointsFile)
            : (options.stateDir != null
                    ? env.resolve(options.stateDir)
                    : env.home().resolve("state"))
                .resolve("endpoints.json");
    Optional<StackEndpoints> stack = StackEndpoints.read(endpointsFile);
    Nsm nsm = nsm(env, options, choice, stack, endpointsFile, err);

    Map<String, String> vars = env.env();
    endpoint =
        endpoint(
            first(
                options.endpoint,
                vars.get("AWS_ENDPOINT_URL_KMS"),
                vars.get("AWS_ENDPOINT_URL"),
                stack.flatMap(s -> s.kms("endpoint")).orElse(null)));
    String region =
        first(
            options.region,
            vars.get("AWS_REGION"),
            vars.get("AWS_DEFAULT_REGION"),
            stack.flatMap(s -> s.kms("region")).orElse(DEFAULT_REGION));
    KmsClient kms = resources.add(kmsClient(endpoint, region, credentials(vars, stack)));
    EnclaveKmsClient.Builder builder = EnclaveKmsClient.builder().nsm(nsm).kmsClient(kms);
    if (options.recipientKey != null) {
      builder.recipientKey(CliSupport.rsaKeyPair(env.resolve(options.recipientKey)));
    }
    client = resources.add(builder.build());
    err.printf("nitro-emu: KMS %s (region %s)%n", endpoint, region);
    err.flush();
  }

  /** The NSM {@code --nsm} asks for, saying on stderr which one attests. */
  private Nsm nsm(
      NitroEmu.CliEnvironment env,
      KmsOptions options,
      String choice,
      Optional<StackEndpoints> stack,
      Path endpointsFile,
      PrintWriter err) {
    String whyOffline;
    if (KmsOptions.NSM_OFFLINE.equals(choice)) {
      whyOffline = "as --nsm offline asks";
    } else if (stack.isEmpty()) {
      if (KmsOptions.NSM_STACK.equals(choice)) {
        throw new CliFailure(
            "no running stack: "
                + endpointsFile
                + " not found (start one with nitro-emu start, or use --nsm offline)");
      }
      whyOffline = "no running stack (" + endpointsFile + " not found)";
    } else {
      VsockAddress address = stack.get().nsmAddress();
      try {
        VsockNetwork network =
            resources.add(VsockNetwork.builder().mappingFile(stack.get().mappingFile()).build());
        Nsm remote = resources.add(RemoteNsm.connect(network, address));
        err.printf(
            "nitro-emu: attesting with the running stack's NSM at %s (module %s)%n",
            address, stack.get().moduleId());
        return remote;
      } catch (IOException | RuntimeException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (KmsOptions.NSM_STACK.equals(choice)) {
          throw new CliFailure("the stack's NSM at " + address + " is not reachable: " + reason);
        }
        whyOffline =
            "the stack's NSM at "
                + address
                + " is not reachable ("
                + reason
                + "; stale "
                + endpointsFile
                + "?)";
      }
    }
    SoftwareNsm offline =
        resources.add(
            CliSupport.softwareNsm(env, options.caDir, options.profile, options.debug).build());
    Path ca = options.caDir == null ? env.defaultCaDir() : env.resolve(options.caDir);
    err.printf(
        "nitro-emu: attesting with an offline emulated NSM (module %s, CA %s%s): %s%n",
        offline.moduleId(), ca, options.debug ? ", debug mode" : "", whyOffline);
    return offline;
  }

  /** The client that attests and unwraps. */
  EnclaveKmsClient client() {
    return client;
  }

  /** The {@code CiphertextForRecipient} of the last successful call, if it had one. */
  Optional<byte[]> lastEnvelope() {
    return Optional.ofNullable(lastEnvelope.get()).map(byte[]::clone);
  }

  /**
   * Runs one KMS operation, turning a refusal or failure into a one-line {@link CliFailure} (exit
   * 1).
   */
  <T> T call(String operation, Supplier<T> action) {
    try {
      return action.get();
    } catch (AwsServiceException e) {
      String code =
          e.awsErrorDetails() == null ? "HTTP " + e.statusCode() : e.awsErrorDetails().errorCode();
      String message =
          e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
      throw new CliFailure(
          "kms "
              + operation
              + " refused: "
              + code
              + (message == null || message.isBlank() ? "" : ": " + message));
    } catch (NsmException e) {
      throw new CliFailure("kms " + operation + ": attestation failed: " + e.getMessage());
    } catch (SdkClientException e) {
      throw new CliFailure("kms " + operation + " failed at " + endpoint + ": " + e.getMessage());
    }
  }

  @Override
  public void close() {
    Closeables.closeQuietly(resources); // Clients and connections, after the work is done.
  }

  private KmsClient kmsClient(URI endpoint, String region, AwsCredentials credentials) {
    Region signingRegion;
    try {
      signingRegion = Region.of(AwsRegion.of(region).name());
    } catch (IllegalArgumentException e) {
      throw new CliFailure("--region: " + e.getMessage(), 2);
    }
    ExecutionInterceptor envelopeRecorder =
        new ExecutionInterceptor() {
          @Override
          public void afterUnmarshalling(
              Context.AfterUnmarshalling context, ExecutionAttributes attributes) {
            context
                .response()
                .getValueForField("CiphertextForRecipient", SdkBytes.class)
                .ifPresent(bytes -> lastEnvelope.set(bytes.asByteArray()));
          }
        };
    return KmsClient.builder()
        .endpointOverride(endpoint)
        .region(signingRegion)
        .credentialsProvider(StaticCredentialsProvider.create(credentials))
        .httpClientBuilder(
            UrlConnectionHttpClient.builder()
                .connectionTimeout(CONNECT_TIMEOUT)
                .socketTimeout(READ_TIMEOUT))
        .overrideConfiguration(
            c -> c.apiCallTimeout(CALL_TIMEOUT).addExecutionInterceptor(envelopeRecorder))
        .build();
  }

  /** The standard AWS variables if set, else the stack's credentials, else test/test. */
  private static AwsCredentials credentials(
      Map<String, String> vars, Optional<StackEndpoints> stack) {
    String accessKey = blankToNull(vars.get("AWS_ACCESS_KEY_ID"));
    String secretKey = blankToNull(vars.get("AWS_SECRET_ACCESS_KEY"));
    if ((accessKey == null) != (secretKey == null)) {
      throw new CliFailure("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither", 2);
    }
    if (accessKey != null) {
      String token = blankToNull(vars.get("AWS_SESSION_TOKEN"));
      return token == null
          ? AwsBasicCredentials.create(accessKey, secretKey)
          : AwsSessionCredentials.create(accessKey, secretKey, token);
    }
    return AwsBasicCredentials.create(
        stack.flatMap(s -> s.kms("accessKeyId")).orElse(DEFAULT_CREDENTIAL),
        stack.flatMap(s -> s.kms("secretAccessKey")).orElse(DEFAULT_CREDENTIAL));
  }

  private static URI endpoint(String text) {
    if (text == null) {
      return DEFAULT_ENDPOINT;
    }
    try {
      URI uri = new URI(text.strip());
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new CliFailure(
            "KMS endpoint must be an http:// or https:// URL with a host, got '" + text + "'", 2);
      }
      return uri;
    } catch (java.net.URISyntaxException e) {
      throw new CliFailure("KMS endpoint is not a URL: '" + text + "'", 2);
    }
  }

  private static String first(String... values) {
    for (String value : values) {
      if (blankToNull(value) != null) {
        return value.strip();
      }
    }
    return null;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}

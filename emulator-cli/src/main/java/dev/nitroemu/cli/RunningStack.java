package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.kms.KmsMockServer;
import dev.nitroemu.kms.KmsTlsCa;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * A stack that runs on a state directory, as other commands ({@code status}, {@code stop}, {@code
 * env}, {@code audit}, {@code attest}, {@code pcrs}) find it: its owner process and the endpoints
 * it wrote once ready.
 *
 * @param directory the state directory
 * @param owner the process running the stack
 * @param endpoints what it serves (null while it is still starting)
 */
record RunningStack(Path directory, StateDirectory.Owner owner, StackEndpoints endpoints) {
  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(5);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The stack running on {@code directory}, if any; its endpoints once it is ready. */
  static Optional<RunningStack> find(Path directory) {
    Path dir = directory.toAbsolutePath().normalize();
    return StateDirectory.running(dir)
        .map(
            owner -> {
              // Endpoints left by an earlier stack on this directory do not describe this one.
              StackEndpoints endpoints =
                  StackEndpoints.read(StateDirectory.endpointsFile(dir))
                      .filter(read -> read.json().path("pid").asLong() == owner.pid())
                      .orElse(null);
              return new RunningStack(dir, owner, endpoints);
            });
  }

  /**
   * The running and ready stack on {@code directory}.
   *
   * @throws CliFailure (exit 3) when none runs there, or it is still starting
   */
  static RunningStack require(Path directory) {
    RunningStack stack =
        find(directory)
            .orElseThrow(
                () ->
                    new CliFailure(
                        "no stack is running on state directory "
                            + directory.toAbsolutePath().normalize()
                            + " (start one with 'nitro-emu start --detach')",
                        StatusCommand.NOT_RUNNING));
    if (stack.endpoints() == null) {
      throw new CliFailure(
          "the stack on "
              + stack.directory()
              + " (pid "
              + stack.owner().pid()
              + ") is still starting; try again in a moment",
          StatusCommand.NOT_RUNNING);
    }
    return stack;
  }

  /**
   * The ready stack on {@code directory} that {@code attest} and {@code pcrs} should ask, if any.
   */
  static Optional<RunningStack> ready(Path directory) {
    return find(directory)
        .filter(stack -> stack.endpoints() != null && stack.json().path("nsm").has("vsock"));
  }

  /** The NSM service's vsock address, e.g. {@code vsock://3:9797}. */
  VsockAddress nsmAddress() {
    return endpoints.nsmAddress();
  }

  /**
   * Runs {@code use} with a client of the stack's NSM, reached through its mapping file as any
   * other process would.
   *
   * @throws CliFailure when the NSM cannot be reached
   */
  <T> T withNsm(Function<Nsm, T> use) {
    try (VsockNetwork network =
            VsockNetwork.builder().mappingFile(endpoints.mappingFile()).build();
        RemoteNsm nsm = RemoteNsm.connect(network, nsmAddress())) {
      return use.apply(nsm);
    } catch (IOException e) {
      throw new CliFailure(
          "cannot reach the running stack's NSM at " + nsmAddress() + ": " + e.getMessage());
    }
  }

  /** Where a command's answer came from, for its stderr note. */
  String describe() {
    return "the running stack's NSM at "
        + nsmAddress()
        + " (state directory "
        + directory
        + ", pid "
        + owner.pid()
        + ")";
  }

  /** The endpoints JSON of a ready stack. */
  JsonNode json() {
    return endpoints.json();
  }

  /**
   * Asks the stack's health endpoint, trusting the KMS TLS CA when KMS serves HTTPS.
   *
   * @return the report, or a JSON object with {@code "status": "unreachable"} and the reason
   */
  JsonNode health() {
    URI uri = URI.create(json().path("kms").path("endpoint").asText() + KmsMockServer.HEALTH_PATH);
    try {
      HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(HEALTH_TIMEOUT);
      String tlsCaPem = json().path("kms").path("tlsCaPem").asText(null);
      if (tlsCaPem != null) {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, KmsTlsCa.load(Path.of(tlsCaPem).getParent()).trustManagers(), null);
        client.sslContext(tls);
      }
      HttpResponse<byte[]> response =
          client
              .build()
              .send(
                  HttpRequest.newBuilder(uri).timeout(HEALTH_TIMEOUT).GET().build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        return unreachable(uri, "HTTP " + response.statusCode());
      }
      return JSON.readTree(response.body());
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      return unreachable(
          uri,
          e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return unreachable(uri, "interrupted");
    }
  }

  private static JsonNode unreachable(URI uri, String reason) {
    return JSON.createObjectNode()
        .put("status", "unreachable")
        .put("url", uri.toString())
        .put("reason", reason);
  }
}

package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.container.EnclaveContainer;
import dev.nitroemu.container.VsockDeniedException;
import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The enclaves of a running stack ({@code nitro-emu start}): it owns their {@link
 * EnclaveContainer}s, served by its own NSM and KMS, and answers the enclave commands on its {@link
 * EnclaveControl} socket. An enclave whose command ends is removed (as nitro-cli's enclave process
 * goes with its enclave); stopping the stack terminates every enclave.
 */
final class EnclaveHosting implements AutoCloseable {
  /** More enclaves than a parent instance can run (4); a bound on what one stack holds. */
  static final int MAX_ENCLAVES = 16;

  private static final int MAX_CONTROL_CONNECTIONS = 32;

  private final EnclaveEnvironment stack;
  private final Path stateDir;
  private final Map<String, HostedEnclave> enclaves = new LinkedHashMap<>();
  private final HybridVsockTransport transport;
  private final StreamServer<VsockConnection, VsockAddress> server;

  private EnclaveHosting(EnclaveEnvironment stack, Path stateDir, HybridVsockTransport transport) {
    this.stack = stack;
    this.stateDir = stateDir;
    this.transport = transport;
    this.server =
        StreamServer.<VsockConnection, VsockAddress>builder(
                "enclave-control",
                () ->
                    transport.listen(VsockAddress.of(VsockAddress.CID_PARENT, EnclaveControl.PORT)),
                this::serve)
            .limits(
                ConnectionLimits.DEFAULT
                    .withMaxConnections(MAX_CONTROL_CONNECTIONS)
                    .withIdleTimeout(Duration.ofMinutes(5)))
            .build();
  }

  /**
   * Serves the enclave control socket of the stack {@code stack} on {@code stateDir}. When the
   * previous stack on that directory was killed (its control socket is still there), first removes
   * the enclave containers it left, reporting on {@code err}.
   */
  static EnclaveHosting start(EnclaveEnvironment stack, Path stateDir, PrintWriter err)
      throws IOException {
    Path directory = EnclaveControl.directory(stateDir);
    Files.createDirectories(directory);
    if (Files.deleteIfExists(
        directory.resolve(EnclaveControl.BASE_NAME + "_" + EnclaveControl.PORT))) {
      OrphanedEnclaves.remove(stateDir, err);
    }
    HybridVsockTransport transport =
        HybridVsockTransport.parent(
            directory, EnclaveControl.BASE_NAME, EnclaveControl.CHANNEL_CID);
    EnclaveHosting hosting = new EnclaveHosting(stack, stateDir, transport);
    try {
      hosting.server.start();
    } catch (IOException | RuntimeException e) {
      transport.close();
      throw e;
    }
    return hosting;
  }

  private void serve(VsockConnection connection, StreamServer.Slot slot) throws IOException {
    JsonNode request =
        EnclaveControl.JSON.readTree(
            Frames.read(connection.inputStream(), EnclaveControl.MAX_MESSAGE));
    OutputStream out = connection.outputStream();
    String op = request.path("op").asText();
    JsonNode answer;
    try {
      answer =
          switch (op) {
            case "run" -> run(request);
            case "describe" -> describe();
            case "terminate" -> terminate(request);
            case "console" -> console(request, out);
            default -> EnclaveControl.error("unknown enclave control operation '" + op + "'", 1);
          };
    } catch (RuntimeException e) {
      answer = EnclaveControl.error(op + ": " + e.getMessage(), 1);
    }
    if (answer != null) {
      Frames.write(out, EnclaveControl.JSON.writeValueAsBytes(answer));
      out.flush();
    }
  }

  private JsonNode run(JsonNode request) {
    reap();
    synchronized (enclaves) {
      if (enclaves.size() >= MAX_ENCLAVES) {
        return EnclaveControl.error("this stack already runs " + MAX_ENCLAVES + " enclaves", 1);
      }
    }
    String image = request.path("image").asText();
    boolean debug = request.path("debug").asBoolean();
    EnclaveContainer container =
        new EnclaveContainer(image)
            .withMemoryMib(request.path("memoryMib").asInt())
            .withCpuCount(request.path("cpuCount").asInt())
            .withEnclaveName(
                request.hasNonNull("name") ? request.path("name").asText() : defaultName(image))
            .withDebugMode(debug)
            .withEnvironment(stack)
            .withLabel(OrphanedEnclaves.STATE_DIR_LABEL, OrphanedEnclaves.label(stateDir));
    if (request.hasNonNull("cid")) {
      container.withEnclaveCid(request.path("cid").asLong());
    }
    Optional<JsonNode> mismatch = eifMismatch(request);
    if (mismatch.isPresent()) {
      return mismatch.get();
    }
    HostedEnclave hosted = new HostedEnclave(container, debug);
    container.withConsoleConsumer(hosted::consoleLine);
    try {
      container.start();
    } catch (RuntimeException e) {
      container.stop();
      return EnclaveControl.error(
          "cannot start an enclave from image '" + image + "': " + rootMessage(e),
          EnclaveControl.E_ENCLAVE_BOOT_FAILURE);
    }
    try {
      ObjectNode answer = hosted.runInfo();
      synchronized (enclaves) {
        enclaves.put(hosted.id(), hosted);
      }
      return EnclaveControl.JSON.createObjectNode().put("ok", true).set("enclave", answer);
    } catch (IOException | RuntimeException e) {
      container.stop();
      return EnclaveControl.error(
          "the enclave started but cannot be described: " + e.getMessage(),
          EnclaveControl.E_ENCLAVE_BOOT_FAILURE);
    }
  }

  /**
   * The NSM attests the stack's boot PCRs: an EIF given to run-enclave must have those, or the
   * enclave would attest measurements its EIF does not have.
   */
  private Optional<JsonNode> eifMismatch(JsonNode request) {
    if (!request.hasNonNull("eifPath")) {
      return Optional.empty();
    }
    Path eif = Path.of(request.path("eifPath").asText());
    EnclaveProfile profile;
    try {
      profile = EnclaveProfile.fromEif(eif);
    } catch (IOException | RuntimeException e) {
      return Optional.of(EnclaveControl.error("--eif-path " + eif + ": " + e.getMessage(), 35));
    }
    for (int i = 0; i < 3; i++) {
      if (!Arrays.equals(profile.imagePcr(i), stack.info().pcr(i))) {
        return Optional.of(
            EnclaveControl.error(
                "--eif-path "
                    + eif
                    + ": its PCR"
                    + i
                    + " is not the stack's (the"
                    + " emulator attests the stack's boot PCRs for every enclave); start the stack with --eif "
                    + eif,
                EnclaveControl.E_INVALID_ARGUMENT));
      }
    }
    return Optional.empty();
  }

  private JsonNode describe() throws RuntimeException {
    reap();
    ArrayNode all = EnclaveControl.JSON.createArrayNode();
    for (HostedEnclave hosted : snapshot()) {
      try {
        all.add(hosted.describe());
      } catch (IOException | RuntimeException e) {
        // ended between the reap and now: not listed, as nitro-cli lists running enclaves only
      }
    }
    ObjectNode answer = EnclaveControl.JSON.createObjectNode().put("ok", true);
    answer.set("enclaves", all);
    return answer;
  }

  private JsonNode terminate(JsonNode request) {
    reap();
    List<HostedEnclave> chosen = new ArrayList<>();
    synchronized (enclaves) {
      if (request.path("all").asBoolean()) {
        chosen.addAll(enclaves.values());
        enclaves.clear();
      } else {
        String id = request.path("id").asText();
        HostedEnclave hosted = enclaves.remove(id);
        if (hosted == null) {
          return EnclaveControl.error(
              "no running enclave has the ID '" + id + "'",
              EnclaveControl.E_ENCLAVE_PROCESS_CONNECTION_FAILURE);
        }
        chosen.add(hosted);
      }
    }
    ArrayNode done = EnclaveControl.JSON.createArrayNode();
    for (HostedEnclave hosted : chosen) {
      String name = nameOf(hosted);
      String id = hosted.id();
      stop(hosted);
      done.add(HostedEnclave.terminated(name, id));
    }
    ObjectNode answer = EnclaveControl.JSON.createObjectNode().put("ok", true);
    answer.set("terminated", done);
    return answer;
  }

  /**
   * Streams the console of the enclave named in {@code request}; null: the answer went out already.
   */
  private JsonNode console(JsonNode request, OutputStream out) throws IOException {
    String id = request.path("id").asText();
    HostedEnclave hosted;
    synchronized (enclaves) {
      hosted = enclaves.get(id);
    }
    if (hosted == null) {
      return EnclaveControl.error(
          "no running enclave has the ID '" + id + "'",
          EnclaveControl.E_ENCLAVE_PROCESS_CONNECTION_FAILURE);
    }
    if (!hosted.debugMode()) {
      return EnclaveControl.error(
          "enclave "
              + id
              + " was not started with --debug-mode: its console is not"
              + " available (as with nitro-cli)",
          EnclaveControl.E_CONSOLE_CONNECTION_FAILURE);
    }
    Frames.write(
        out,
        EnclaveControl.JSON.writeValueAsBytes(
            EnclaveControl.JSON.createObjectNode().put("ok", true)));
    out.flush();
    long next = 0;
    try {
      while (true) {
        HostedEnclave.Batch batch = hosted.linesFrom(next, 1000);
        if (batch == null) {
          Frames.write(out, new byte[] {EnclaveControl.END});
          out.flush();
          return null;
        }
        List<String> lines = batch.lines();
        if (lines.isEmpty()) {
          Frames.write(
              out, new byte[] {EnclaveControl.KEEP_ALIVE}); // fails once the client has gone
          if (hosted.exited()) {
            reap();
          }
        }
        for (String line : lines) {
          byte[] text = line.getBytes(StandardCharsets.UTF_8);
          byte[] frame = new byte[Math.min(text.length, EnclaveControl.MAX_MESSAGE - 1) + 1];
          frame[0] = EnclaveControl.LINE;
          System.arraycopy(text, 0, frame, 1, frame.length - 1);
          Frames.write(out, frame);
        }
        out.flush();
        next = batch.next();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Removes (and stops) the enclaves whose command has ended. */
  private void reap() {
    List<HostedEnclave> gone = new ArrayList<>();
    synchronized (enclaves) {
      enclaves
          .values()
          .removeIf(
              hosted -> {
                boolean exited = hosted.exited();
                if (exited) {
                  gone.add(hosted);
                }
                return exited;
              });
    }
    gone.forEach(EnclaveHosting::stop);
  }

  private List<HostedEnclave> snapshot() {
    synchronized (enclaves) {
      return List.copyOf(enclaves.values());
    }
  }

  private static void stop(HostedEnclave hosted) {
    try {
      hosted.container().stop();
    } finally {
      hosted.end();
    }
  }

  private static String nameOf(HostedEnclave hosted) {
    try {
      return hosted.describe().path("EnclaveName").asText();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /**
   * nitro-cli names an enclave after its EIF file; here after the image, without registry path or
   * tag.
   */
  static String defaultName(String image) {
    String last = image.substring(image.lastIndexOf('/') + 1);
    int colon = last.indexOf(':');
    int at = last.indexOf('@');
    int end = colon >= 0 ? colon : at >= 0 ? at : last.length();
    return last.substring(0, end);
  }

  private static String rootMessage(Throwable e) {
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof VsockDeniedException denied) {
        return denied.getMessage(); // the supervisor's own one-line reason, not Docker's symptom
      }
    }
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    String message =
        cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return message.replace('\n', ' ');
  }

  /** Terminates every enclave and closes the control socket. */
  @Override
  public void close() {
    server.close();
    List<HostedEnclave> all;
    synchronized (enclaves) {
      all = List.copyOf(enclaves.values());
      enclaves.clear();
    }
    for (HostedEnclave hosted : all) {
      try {
        stop(hosted);
      } catch (RuntimeException ignored) {
        // the stack is stopping; Docker may already be gone
      }
    }
    transport.close();
  }
}

package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.AtomicFiles;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.kms.KmsCredentials;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import dev.nitroemu.stack.SeededKmsKey;
import dev.nitroemu.stack.ServiceEndpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** The running stack's endpoints, as printed and as written to the endpoints JSON file. */
final class StackEndpoints {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final ObjectNode root;

  private StackEndpoints(ObjectNode root) {
    this.root = root;
  }

  /** Describes a running stack: its mapping file, root CA, NSM service, vsock-proxies and KMS. */
  static StackEndpoints describe(
      EnclaveEnvironment stack, Path mapping, Path rootPem, Path tlsCaPem) {
    ObjectNode root = JSON.createObjectNode();
    root.put("mappingFile", mapping.toAbsolutePath().toString());
    root.put("rootCaPem", rootPem.toAbsolutePath().toString());
    List<ServiceEndpoint> services = stack.controls().services();
    ObjectNode nsmNode = root.putObject("nsm");
    stack.controls().service(ServiceEndpoint.NSM).ifPresent(s -> endpoint(nsmNode, s));
    Nsm nsm = stack.nsm();
    nsmNode.put("moduleId", nsm.describeNsm().moduleId());
    ObjectNode pcrs = nsmNode.putObject("pcrs");
    HexFormat hex = HexFormat.of();
    for (int index : new int[] {0, 1, 2, 3, 4, 8}) {
      pcrs.put("PCR" + index, hex.formatHex(nsm.describePcr(index).data()));
    }
    ArrayNode proxyNodes = root.putArray("proxies");
    for (ServiceEndpoint service : services) {
      if (service.name().startsWith(ServiceEndpoint.PROXY_PREFIX)) {
        ObjectNode p = proxyNodes.addObject();
        endpoint(p, service);
        p.put("destination", service.destination());
      }
    }
    EnclaveRuntimeInfo info = stack.info();
    ObjectNode kms = root.putObject("kms");
    kms.put("endpoint", info.kmsEndpoint().toString());
    kms.put("region", info.region());
    KmsCredentials credentials = stack.controls().kmsCredentials();
    kms.put("accessKeyId", credentials.accessKeyId());
    kms.put("secretAccessKey", credentials.secretAccessKey());
    kms.put("principalArn", credentials.principalArn());
    if (tlsCaPem != null) {
      kms.put("tlsCaPem", tlsCaPem.toAbsolutePath().toString());
    }
    ObjectNode enclaveSide = kms.putObject("vsockProxy");
    stack.controls().service(ServiceEndpoint.KMS_PROXY).ifPresent(s -> endpoint(enclaveSide, s));
    ObjectNode keys = kms.putObject("keys");
    for (SeededKmsKey key : stack.controls().seededKmsKeys()) {
      keys.putObject("alias/" + key.alias())
          .put("keyId", key.keyId())
          .put("arn", key.arn())
          .put("origin", key.existed() ? "kept" : "created");
    }
    return new StackEndpoints(root);
  }

  /**
   * Adds who runs the stack: its state directory, pid, whether KMS state persists, and the audit
   * log.
   */
  StackEndpoints withOwner(Path stateDirectory, long pid, boolean persistent, Path auditLog) {
    root.put("stateDirectory", stateDirectory.toString());
    root.put("pid", pid);
    root.put("kmsState", persistent ? "persistent" : "ephemeral");
    root.put("auditLog", auditLog.toString());
    return this;
  }

  /** Adds the emulated enclave: where its profile came from and whether it runs in debug mode. */
  StackEndpoints withEnclave(String profileSource, boolean debug) {
    root.putObject("enclave").put("profile", profileSource).put("debug", debug);
    return this;
  }

  /** The JSON, read-only by convention. */
  JsonNode json() {
    return root;
  }

  private static void endpoint(ObjectNode node, ServiceEndpoint service) {
    node.put("vsock", service.address());
    node.put("tcp", service.tcpText());
  }

  /**
   * The endpoints a running {@code nitro-emu start} wrote to {@code file}; empty if there is no
   * such file (no stack, or it stopped and removed it).
   */
  static Optional<StackEndpoints> read(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    byte[] bytes = CliSupport.read(file, "endpoints file");
    try {
      if (JSON.readTree(bytes) instanceof ObjectNode node) {
        return Optional.of(new StackEndpoints(node));
      }
    } catch (IOException e) {
      // Reported below, as any other unusable content.
    }
    throw new CliFailure(
        "endpoints file " + file + " is not a JSON object; remove it or restart nitro-emu start");
  }

  /** The vsock mapping file the stack publishes its listeners in. */
  Path mappingFile() {
    return Path.of(required(root.path("mappingFile"), "mappingFile"));
  }

  /** The vsock address of the stack's NSM service. */
  VsockAddress nsmAddress() {
    String text = required(root.path("nsm").path("vsock"), "nsm.vsock");
    try {
      return VsockAddress.parse(text);
    } catch (IllegalArgumentException e) {
      throw new CliFailure("endpoints file: nsm.vsock: " + e.getMessage());
    }
  }

  /** The module id of the stack's NSM. */
  String moduleId() {
    return root.path("nsm").path("moduleId").asText("");
  }

  /**
   * A field of the {@code kms} object ({@code endpoint}, {@code region}, {@code accessKeyId}...),
   * if present.
   */
  Optional<String> kms(String field) {
    JsonNode value = root.path("kms").path(field);
    return value.isTextual() && !value.asText().isBlank()
        ? Optional.of(value.asText())
        : Optional.empty();
  }

  private static String required(JsonNode value, String name) {
    if (!value.isTextual() || value.asText().isBlank()) {
      throw new CliFailure("endpoints file has no " + name + "; restart nitro-emu start");
    }
    return value.asText();
  }

  /** Writes the JSON with {@link AtomicFiles}, owner-only: it holds the KMS mock's credentials. */
  void write(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    AtomicFiles.write(file, JSON.writeValueAsBytes(root));
  }

  /** Prints the endpoints for a person. */
  void print(PrintWriter out) {
    JsonNode enclave = root.path("enclave");
    if (!enclave.isMissingNode()) {
      out.printf(
          "enclave    profile %s, debug mode %s%n",
          enclave.path("profile").asText(),
          enclave.path("debug").asBoolean() ? "on (PCR0/1/2/8 attest as zeros)" : "off");
      for (String pcr : new String[] {"PCR0", "PCR1", "PCR2"}) {
        out.printf("           %s %s%n", pcr, root.path("nsm").path("pcrs").path(pcr).asText());
      }
    }
    out.printf(
        "NSM        %s (tcp %s), module %s%n",
        root.path("nsm").path("vsock").asText(),
        root.path("nsm").path("tcp").asText(),
        root.path("nsm").path("moduleId").asText());
    root.path("proxies")
        .forEach(
            p ->
                out.printf(
                    "vsock-proxy %s (tcp %s) -> %s%n",
                    p.path("vsock").asText(),
                    p.path("tcp").asText(),
                    p.path("destination").asText()));
    JsonNode kms = root.path("kms");
    if (!kms.isMissingNode()) {
      out.printf(
          "KMS        %s (region %s, access key %s / secret %s), enclaves: %s (tcp %s)%n",
          kms.path("endpoint").asText(),
          kms.path("region").asText(),
          kms.path("accessKeyId").asText(),
          kms.path("secretAccessKey").asText(),
          kms.path("vsockProxy").path("vsock").asText(),
          kms.path("vsockProxy").path("tcp").asText());
    }
    kms.path("keys")
        .properties()
        .forEach(
            key ->
                out.printf(
                    "KMS key    %s -> %s (%s)%n",
                    key.getKey(),
                    key.getValue().path("arn").asText(),
                    key.getValue().path("origin").asText()));
    out.printf("root CA    %s%n", root.path("rootCaPem").asText());
    out.printf(
        "vsock map  %s (export NITRO_VSOCK_MAP=%s)%n",
        root.path("mappingFile").asText(), root.path("mappingFile").asText());
  }
}

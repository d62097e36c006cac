package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.container.EnclaveContainer;
import dev.nitroemu.container.NitroCliJson;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu run-enclave}: as {@code nitro-cli run-enclave}, but the enclave is a Docker
 * image run by the running stack as an enclave container; prints nitro-cli's JSON.
 */
@Command(
    name = "run-enclave",
    mixinStandardHelpOptions = true,
    header =
        "Runs a Docker image as an enclave of the running stack, as nitro-cli run-enclave runs an EIF.",
    description = {
      "The stack ('nitro-emu start') owns the enclave: no network but vsock, --memory and --cpu-count as caps,"
          + " its NSM at 3:9797 and KMS at 3:8000; it ends with the stack or 'terminate-enclave'.",
      "Prints nitro-cli's JSON (EnclaveName, EnclaveID, ProcessID, EnclaveCID, NumberOfCPUs, CPUIDs, MemoryMiB)."
    })
final class RunEnclaveCommand extends CliCommand {
  @Mixin StateDirOption stateDir;

  @Option(
      names = "--docker-image",
      required = true,
      paramLabel = "IMAGE",
      description =
          "a local Docker image (nothing is pulled); its Cmd, else its Entrypoint, runs as nitro-cli build-enclave would")
  String image;

  @Option(
      names = "--memory",
      required = true,
      paramLabel = "MiB",
      description = "memory cap in MiB (at least 64)")
  int memoryMib;

  @Option(
      names = "--cpu-count",
      required = true,
      paramLabel = "N",
      description = "vCPUs (a CPU-time cap, not pinned cores)")
  int cpuCount;

  @Option(
      names = "--enclave-cid",
      paramLabel = "CID",
      description = "the enclave's CID (16..4294967294; default: the lowest free)")
  Long cid;

  @Option(
      names = "--enclave-name",
      paramLabel = "NAME",
      description = "the enclave's name (default: the image's name)")
  String name;

  @Option(
      names = "--debug-mode",
      description = "debug mode: Flags DEBUG_MODE and the console is readable")
  boolean debugMode;

  @Option(
      names = "--attach-console",
      description = "then print the console until the enclave ends (needs --debug-mode)")
  boolean attachConsole;

  @Option(
      names = "--eif-path",
      paramLabel = "FILE",
      description =
          "the EIF built from the image: refused unless its PCR0/1/2 are the stack's (start the stack with --eif FILE)")
  String eifPath;

  @Override
  public void run() {
    if (memoryMib < EnclaveContainer.MIN_MEMORY_MIB) {
      throw new CliFailure(
          "--memory: an enclave needs at least "
              + EnclaveContainer.MIN_MEMORY_MIB
              + " MiB, was "
              + memoryMib,
          EnclaveControl.E_INSUFFICIENT_MEMORY_REQUESTED);
    }
    if (cpuCount < 1) {
      throw new CliFailure(
          "--cpu-count: must be at least 1, was " + cpuCount, EnclaveControl.E_INVALID_ARGUMENT);
    }
    if (cid != null && (cid < 16 || cid > 4294967294L)) {
      throw new CliFailure(
          "--enclave-cid: must be in 16..4294967294, was " + cid,
          EnclaveControl.E_INVALID_ARGUMENT);
    }
    if (attachConsole && !debugMode) {
      throw new CliFailure(
          "--attach-console needs --debug-mode (as with nitro-cli)",
          EnclaveControl.E_INVALID_ARGUMENT);
    }
    ObjectNode request =
        EnclaveControl.request("run")
            .put("image", image)
            .put("memoryMib", memoryMib)
            .put("cpuCount", cpuCount)
            .put("debug", debugMode);
    if (cid != null) {
      request.put("cid", cid);
    }
    if (name != null) {
      request.put("name", name);
    }
    if (eifPath != null) {
      request.put("eifPath", env.resolve(eifPath).toAbsolutePath().toString());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    err.println("Start allocating memory...");
    err.flush();
    JsonNode enclave;
    try (EnclaveControl.Session session = EnclaveControl.Session.open(stateDir.resolve(env))) {
      enclave = session.call(request).path("enclave");
    }
    err.printf(
        "Started enclave with enclave-cid: %d, memory: %d MiB, cpu-ids: %s%n",
        enclave.path("EnclaveCID").asLong(),
        memoryMib,
        enclave.path("CPUIDs").toString().replace(",", ", "));
    err.flush();
    out.println(NitroCliJson.pretty(enclave));
    out.flush();
    if (attachConsole) {
      EnclaveConsoleCommand.stream(
          stateDir.resolve(env), enclave.path("EnclaveID").asText(), null, out);
    }
  }
}

package dev.nitroemu.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import java.util.Optional;

/** nitro-cli's JSON shapes and Docker's container state, for {@link EnclaveContainer}. */
final class EnclaveDescription {

  private static final ObjectMapper JSON = new ObjectMapper();

  private EnclaveDescription() {}

  /** One element of {@code nitro-cli describe-enclaves}. */
  static String json(
      String name,
      String enclaveId,
      long processId,
      long cid,
      int cpus,
      int memoryMib,
      String state,
      boolean debug,
      ImageMeasurements measurements) {
    ObjectNode enclave = JSON.createObjectNode();
    enclave.put("EnclaveName", name);
    enclave.put("EnclaveID", enclaveId);
    enclave.put("ProcessID", processId);
    enclave.put("EnclaveCID", cid);
    enclave.put("NumberOfCPUs", cpus);
    ArrayNode cpuIds = enclave.putArray("CPUIDs");
    for (int i = 0; i < cpus; i++) {
      cpuIds.add(i); // not pinned: Docker caps CPU time, it does not reserve cores
    }
    enclave.put("MemoryMiB", memoryMib);
    enclave.put("State", state);
    enclave.put("Flags", debug ? "DEBUG_MODE" : "NONE");
    ObjectNode pcrs = enclave.putObject("Measurements");
    pcrs.put("HashAlgorithm", "Sha384 { ... }");
    for (int i = 0; i < 3; i++) {
      pcrs.put("PCR" + i, measurements.hex(i));
    }
    return NitroCliJson.pretty(enclave);
  }

  /**
   * The container's termination, if it has ended (empty while it runs or once Docker has removed
   * it).
   */
  static Optional<EnclaveTermination> inspectTermination(DockerClient docker, String containerId) {
    try {
      InspectContainerResponse.ContainerState state =
          docker.inspectContainerCmd(containerId).exec().getState();
      if (state == null
          || Boolean.TRUE.equals(state.getRunning())
          || state.getExitCodeLong() == null) {
        return Optional.empty();
      }
      return Optional.of(
          new EnclaveTermination(
              state.getExitCodeLong(),
              Boolean.TRUE.equals(state.getOOMKilled()),
              state.getFinishedAt()));
    } catch (NotFoundException gone) {
      return Optional.empty();
    }
  }

  /** An id shaped like nitro-cli's ({@code i-<instance>-enc<16 hex>}) from a container id. */
  static String enclaveId(String containerId) {
    if (containerId == null) {
      throw new IllegalStateException("the enclave container has not started");
    }
    return dev.nitroemu.nsm.EnclaveProfile.DEFAULT_INSTANCE_ID
        + "-enc"
        + containerId.substring(0, 16);
  }

  /**
   * Polls {@code termination} every 100 ms for up to {@code timeout}; empty if the enclave still
   * runs.
   */
  static Optional<EnclaveTermination> await(
      java.util.function.Supplier<Optional<EnclaveTermination>> termination,
      java.time.Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<EnclaveTermination> ended = termination.get();
      if (ended.isPresent() || System.nanoTime() - deadline >= 0) {
        return ended;
      }
      Thread.sleep(100);
    }
  }
}

package dev.nitroemu.cli;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.testcontainers.DockerClientFactory;

/**
 * Removes the enclave containers a stack left behind when it was killed: every container that
 * {@link EnclaveHosting} labelled with a state directory belongs to the stack of that directory,
 * and when a new stack starts on it the old one is gone, so they are orphans.
 */
final class OrphanedEnclaves {
  /**
   * The label {@link EnclaveHosting} puts on each enclave container: the stack's state directory.
   */
  static final String STATE_DIR_LABEL = "dev.nitroemu.state-dir";

  private OrphanedEnclaves() {}

  /**
   * Force-removes the containers labelled with {@code stateDir}, saying so on {@code err}; does
   * nothing when Docker is not available. Returns how many it removed.
   */
  static int remove(Path stateDir, PrintWriter err) {
    DockerClientFactory docker = DockerClientFactory.instance();
    if (!docker.isDockerAvailable()) {
      return 0;
    }
    DockerClient client = docker.client();
    List<Container> orphans =
        client
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(STATE_DIR_LABEL, label(stateDir)))
            .exec();
    int removed = 0;
    for (Container orphan : orphans) {
      try {
        client.removeContainerCmd(orphan.getId()).withForce(true).withRemoveVolumes(true).exec();
        removed++;
      } catch (RuntimeException e) {
        err.printf(
            "nitro-emu: cannot remove enclave container %s left by a killed stack: %s%n",
            shortId(orphan.getId()), e.getMessage());
      }
    }
    if (removed > 0) {
      err.printf(
          "nitro-emu: removed %d enclave container(s) left by a stack that was killed%n", removed);
      err.flush();
    }
    return removed;
  }

  /** The label value for {@code stateDir}: its absolute, normalised path. */
  static String label(Path stateDir) {
    return stateDir.toAbsolutePath().normalize().toString();
  }

  private static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }
}

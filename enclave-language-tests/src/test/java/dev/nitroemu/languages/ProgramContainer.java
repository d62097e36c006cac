package dev.nitroemu.languages;

import dev.nitroemu.container.EnclaveContainer;
import dev.nitroemu.enclave.NsmDescription;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Future;

/**
 * An {@link EnclaveContainer} that prepares the parent's side before the program's process starts:
 * the echo server on {@code 3:ECHO_PORT} listens, and the NSM's description before the program
 * locks PCR16 is taken.
 */
final class ProgramContainer extends EnclaveContainer {

  private final long echoPort;
  private ParentPeers parent;
  private NsmDescription before;

  ProgramContainer(Future<String> image, long echoPort) {
    super(image);
    this.echoPort = echoPort;
  }

  /** The parent's side, ready since the container was created. */
  ParentPeers parent() {
    return parent;
  }

  /** DescribeNSM before the program ran. */
  NsmDescription before() {
    return before;
  }

  @Override
  protected void containerIsCreated(String containerId) {
    super.containerIsCreated(containerId);
    before = environment().nsm().describeNsm();
    try {
      parent = new ParentPeers(listenOnParent(echoPort));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on the parent's port " + echoPort, e);
    }
  }

  @Override
  public void stop() {
    try {
      if (parent != null) {
        parent.close();
      }
    } catch (IOException e) {
      // The listener belongs to the run's transport, which stop() closes anyway.
    }
    super.stop();
  }
}

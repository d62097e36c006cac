package dev.nitroemu.container;

/**
 * How an enclave container ended: the exit code of its command, and whether the memory cap ended it
 * (the kernel's OOM killer, as an enclave that runs out of memory dies).
 *
 * @param exitCode the command's exit status (137 when killed by SIGKILL, e.g. on OOM)
 * @param outOfMemory whether the memory cap ended the enclave
 * @param finishedAt when it ended, as Docker reports it (RFC 3339)
 */
public record EnclaveTermination(long exitCode, boolean outOfMemory, String finishedAt) {

  @Override
  public String toString() {
    return "enclave ended with exit code "
        + exitCode
        + (outOfMemory ? " (out of memory)" : "")
        + " at "
        + finishedAt;
  }
}

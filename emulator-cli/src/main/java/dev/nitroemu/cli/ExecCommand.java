package dev.nitroemu.cli;

import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.supervisor.SupervisorBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nitro-emu exec}: runs an unmodified enclave program on the host under nitro-emu-init, with
 * {@code /dev/nsm} and {@code AF_VSOCK} served by a stack started with {@code --vsock-dir}.
 */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    header =
        "Runs an unmodified enclave program on the host with /dev/nsm and AF_VSOCK served by the stack.",
    description = {
      "Usage: nitro-emu exec [--vsock-dir DIR] [--enclave-cid CID] -- COMMAND [ARGS...]. COMMAND (any language,"
          + " static or dynamic) runs under nitro-emu-init: open(\"/dev/nsm\") and its ioctl reach the stack's NSM,"
          + " socket(AF_VSOCK) + connect(3, PORT) reach the parent's listener on vsock port PORT, and a vsock"
          + " listener on PORT takes the parent's connections to (CID, PORT), over the hybrid vsock directory of a"
          + " stack started with 'nitro-emu start --vsock-dir DIR'; the 0xB7 heartbeat to 3:9000 comes first."
          + " Linux 5.9 or later.",
      "Exit code: COMMAND's (128+N if killed by signal N); 3 when no stack serves DIR; 125 when the supervisor"
          + " cannot start; 126/127 when COMMAND cannot be run or is not found."
    })
final class ExecCommand extends CliCommand {
  @Option(
      names = "--vsock-dir",
      paramLabel = "DIR",
      defaultValue = "${env:NITRO_EMU_VSOCK_DIR}",
      description =
          "the stack's hybrid vsock directory, as given to 'start --vsock-dir' (default: $NITRO_EMU_VSOCK_DIR)")
  String vsockDir;

  @Option(
      names = "--nsm-port",
      paramLabel = "PORT",
      description =
          "vsock port of the stack's NSM service (default: " + NsmVsockServer.DEFAULT_PORT + ")")
  long nsmPort = NsmVsockServer.DEFAULT_PORT;

  @Option(
      names = "--enclave-cid",
      paramLabel = "CID",
      defaultValue = "16",
      description =
          "the enclave's CID, as given to 'start --enclave-cid' (getsockname shows it; default: ${DEFAULT-VALUE})")
  long enclaveCid;

  @Parameters(
      paramLabel = "COMMAND",
      arity = "1..*",
      description = "the program and its arguments (after --)")
  List<String> command;

  @Override
  public void run() {
    if (vsockDir == null || vsockDir.isBlank()) {
      throw new CliFailure(
          "exec: give --vsock-dir DIR (or set NITRO_EMU_VSOCK_DIR), the directory of a stack"
              + " started with 'nitro-emu start --vsock-dir DIR'",
          2);
    }
    Path directory = env.resolve(vsockDir).toAbsolutePath().normalize();
    Path nsmSocket = directory.resolve(HybridVsockTransport.DEFAULT_BASE_NAME + "_" + nsmPort);
    if (!Files.exists(nsmSocket)) {
      throw new CliFailure(
          "exec: no NSM service at "
              + nsmSocket
              + " (start the stack with 'nitro-emu start"
              + " --vsock-dir "
              + directory
              + "')",
          StatusCommand.NOT_RUNNING);
    }
    SupervisorBinary.unavailableReason()
        .ifPresent(
            reason -> {
              throw new CliFailure("exec: " + reason);
            });
    Path binDirectory = null;
    try {
      binDirectory = Files.createTempDirectory("nitro-emu-exec");
      Path supervisor = SupervisorBinary.extractTo(binDirectory);
      List<String> full =
          new ArrayList<>(
              List.of(
                  supervisor.toString(),
                  "--vsock-dir",
                  directory.toString(),
                  "--nsm-port",
                  Long.toString(nsmPort),
                  "--cid",
                  Long.toString(enclaveCid),
                  "--"));
      full.addAll(command);
      ProcessBuilder builder =
          new ProcessBuilder(full).inheritIO().directory(env.workingDir().toFile());
      builder
          .environment()
          .put(HybridVsockTransport.DIRECTORY_ENVIRONMENT_VARIABLE, directory.toString());
      Process process = builder.start();
      throw new CliExit(process.waitFor());
    } catch (IOException e) {
      throw new CliFailure("exec: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure("exec: interrupted");
    } finally {
      deleteQuietly(binDirectory);
    }
  }

  private static void deleteQuietly(Path directory) {
    if (directory == null) {
      return;
    }
    try {
      Files.deleteIfExists(directory.resolve(SupervisorBinary.FILE_NAME));
      Files.deleteIfExists(directory);
    } catch (IOException e) {
      // A temporary file left behind is harmless.
    }
  }
}

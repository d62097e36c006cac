package dev.nitroemu.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Socket names and options, non-blocking connect, fork and the boot heartbeat of an unmodified C
 * program under nitro-emu-init.
 */
class SupervisorSocketTest {

  private static final long ECHO_PORT = 5200;

  @TempDir static Path directory;
  private static SupervisedStack stack;
  private static VsockListener echoListener;

  @BeforeAll
  static void startStack() throws IOException {
    stack = SupervisedStack.start(directory);
    echoListener =
        stack.services.transport().listen(VsockAddress.of(VsockAddress.CID_PARENT, ECHO_PORT));
    Thread echo = new Thread(SupervisorSocketTest::echoEach, "parent-echo");
    echo.setDaemon(true);
    echo.start();
  }

  @AfterAll
  static void stopStack() throws IOException {
    if (echoListener != null) {
      echoListener.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void localCidSocketNamesAndVsockOptionsAreWhatARealEnclaveSees() throws Exception {
    SupervisedStack.Run run = stack.startProbe("names", Long.toString(ECHO_PORT)).finish();

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.results())
        .containsEntry("local-cid", "OK 16")
        .containsEntry("vsock-device-other-ioctl", "ENOTTY")
        .containsEntry("fresh-local", "family=40 len=16 4294967295:4294967295")
        .containsEntry("fresh-peer", "ENOTCONN")
        .containsEntry("buffer-size", "OK 262144")
        .containsEntry("buffer-min", "128")
        .containsEntry("buffer-max", "262144")
        .containsEntry("buffer-size-set", "65536 len=8")
        .containsEntry("connect-timeout", "5")
        .containsEntry("unknown-option", "ENOPROTOOPT")
        .containsEntry("short-optlen", "EINVAL")
        .containsEntry("so-rcvbuf", "OK")
        .containsEntry("bind-other-cid", "EADDRNOTAVAIL")
        .containsEntry("bind-any-port", "OK")
        .containsEntry("bind-twice", "EINVAL")
        .containsEntry("bind-taken", "EADDRINUSE")
        .containsEntry("listen-unbound", "EINVAL")
        .containsEntry("client-peer", "family=40 len=16 3:" + ECHO_PORT);
    assertThat(run.results().get("bound-local")).startsWith("family=40 len=16 4294967295:");
    assertThat(run.results().get("client-local")).matches("family=40 len=16 16:\\d+");
  }

  @Test
  void nonBlockingConnectThenPollThenSoErrorAsGoAndTokioDoIt() throws Exception {
    SupervisedStack.Run run =
        stack.startProbe("nonblock-echo", Long.toString(ECHO_PORT), "non-blocking").finish();

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.results())
        .containsEntry("connect", "started")
        .containsEntry("so-error", "OK")
        .containsEntry("echo", "non-blocking");
  }

  @Test
  void aForkedChildUsesAnInheritedAndDuplicatedVsockSocket() throws Exception {
    SupervisedStack.Run run =
        stack.startProbe("fork-echo", Long.toString(ECHO_PORT), "from-the-child").finish();

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.results())
        .containsEntry("child-peer", "family=40 len=16 3:" + ECHO_PORT)
        .containsEntry("child-echo", "from-the-child")
        .containsEntry("child-exit", "0");
  }

  @Test
  void aChildTheCommandForksAndExecsHasVsockToo() throws Exception {
    String probe = SupervisedStack.SERVER_PROBE.toAbsolutePath().toString();
    SupervisedStack.Run run =
        stack
            .start(
                List.of(),
                List.of(
                    "/bin/sh",
                    "-c",
                    probe + " nonblock-echo " + ECHO_PORT + " exec-child; echo shell-exit $?"))
            .finish();

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.results()).containsEntry("echo", "exec-child").containsEntry("shell-exit", "0");
  }

  @Test
  void theHeartbeatIsSentBeforeTheCommandStarts() throws Exception {
    long before = stack.services.heartbeats();

    SupervisedStack.Run run = stack.start(List.of(), List.of("/bin/true")).finish();

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(stack.services.heartbeats()).isEqualTo(before + 1);
  }

  @Test
  void withoutAHeartbeatAnswerTheSupervisorExits125NamingIt() throws Exception {
    Path empty = Files.createDirectories(directory.resolve("no-parent"));
    Path marker = directory.resolve("ran");
    List<String> command = List.of("/bin/touch", marker.toString());

    SupervisedStack.Run run = run(List.of("--vsock-dir", empty.toString()), command);

    assertThat(run.exitCode()).isEqualTo(125);
    assertThat(run.stderr()).contains("heartbeat").contains("9000").contains("--no-heartbeat");
    assertThat(marker).doesNotExist();
    SupervisedStack.Run skipped =
        run(List.of("--vsock-dir", empty.toString(), "--no-heartbeat"), command);
    assertThat(skipped.exitCode()).as(skipped.toString()).isZero();
    assertThat(marker).exists();
  }

  private static SupervisedStack.Run run(List<String> options, List<String> command)
      throws Exception {
    // The later --vsock-dir wins over the stack's: the supervisor takes the last one given.
    return stack.start(options, command).finish();
  }

  private static void echoEach() {
    while (true) {
      VsockConnection connection;
      try {
        connection = echoListener.accept();
      } catch (IOException closed) {
        return;
      }
      Thread thread = new Thread(() -> echoOnce(connection), "parent-echo-connection");
      thread.setDaemon(true);
      thread.start();
    }
  }

  private static void echoOnce(VsockConnection connection) {
    try (connection) {
      InputStream in = connection.inputStream();
      byte[] buffer = new byte[256];
      int n;
      while ((n = in.read(buffer)) > 0) {
        connection.outputStream().write(buffer, 0, n);
        connection.outputStream().flush();
      }
    } catch (IOException e) {
      // The probe's output names what it did not get.
    }
  }
}

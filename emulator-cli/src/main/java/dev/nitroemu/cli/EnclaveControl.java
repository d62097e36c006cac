package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The local control channel between the enclave commands ({@code run-enclave}, {@code
 * describe-enclaves}, {@code console}, {@code terminate-enclave}) and the stack that owns the
 * enclaves: one Unix socket {@code <state-dir>/enclaves/control_1}, spoken with the hybrid vsock
 * transport (parent side in the stack, port 1). A request is one frame of JSON ({@code "op"} and
 * its arguments); the answer is one frame of JSON ({@code "ok"}, and {@code "error"} with
 * nitro-cli's {@code "exitCode"} when not ok). A {@code console} answer is followed by frames of
 * one type byte: {@code L} and a console line, {@code K} (keep-alive, ignored) or {@code E} (the
 * enclave ended).
 */
final class EnclaveControl {
  static final String DIRECTORY = "enclaves";
  static final String BASE_NAME = "control";
  static final long PORT = 1;

  /** CID of the (unused) enclave side of the control directory; any valid enclave CID. */
  static final long CHANNEL_CID = 16;

  static final int MAX_MESSAGE = 64 * 1024;
  static final byte LINE = 'L';
  static final byte KEEP_ALIVE = 'K';
  static final byte END = 'E';

  // nitro-cli's exit codes are its NitroCliErrorEnum values (see the README, "Enclaves").
  static final int E_INVALID_ARGUMENT = 3;
  static final int E_INSUFFICIENT_MEMORY_REQUESTED = 26;
  static final int E_ENCLAVE_BOOT_FAILURE = 36;
  static final int E_ENCLAVE_PROCESS_CONNECTION_FAILURE = 39;
  static final int E_CONSOLE_CONNECTION_FAILURE = 44;

  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ANSWER_TIMEOUT = Duration.ofMinutes(5);

  private EnclaveControl() {}

  /** The control directory of the stack on {@code stateDir}. */
  static Path directory(Path stateDir) {
    return stateDir.resolve(DIRECTORY);
  }

  /** A new request of operation {@code op}. */
  static ObjectNode request(String op) {
    return JSON.createObjectNode().put("op", op);
  }

  /** An error answer carrying nitro-cli's exit code. */
  static ObjectNode error(String message, int exitCode) {
    return JSON.createObjectNode().put("ok", false).put("error", message).put("exitCode", exitCode);
  }

  /**
   * One connection to the stack's control socket; a request, its answer, then (console) a stream.
   */
  static final class Session implements AutoCloseable {
    private final HybridVsockTransport transport;
    private final VsockConnection connection;
    private final InputStream in;

    private Session(HybridVsockTransport transport, VsockConnection connection) throws IOException {
      this.transport = transport;
      this.connection = connection;
      this.in = connection.inputStream();
    }

    /**
     * Connects to the stack running on {@code stateDir}.
     *
     * @throws CliFailure exit 3 when no stack runs there, 1 when it serves no enclave control
     */
    static Session open(Path stateDir) {
      RunningStack stack = RunningStack.require(stateDir);
      HybridVsockTransport transport =
          HybridVsockTransport.enclave(directory(stack.directory()), BASE_NAME, CHANNEL_CID);
      try {
        return new Session(
            transport, transport.connect(VsockAddress.of(VsockAddress.CID_PARENT, PORT)));
      } catch (IOException e) {
        transport.close();
        throw new CliFailure(
            "the stack on "
                + stack.directory()
                + " (pid "
                + stack.owner().pid()
                + ") does not answer on its enclave control socket: "
                + e.getMessage());
      }
    }

    /**
     * Sends {@code request} and returns the answer.
     *
     * @throws CliFailure with nitro-cli's exit code when the stack refuses it
     */
    JsonNode call(ObjectNode request) {
      try {
        connection.readTimeout(ANSWER_TIMEOUT);
        Frames.write(connection.outputStream(), JSON.writeValueAsBytes(request));
        connection.outputStream().flush();
        JsonNode answer = JSON.readTree(Frames.read(in, MAX_MESSAGE));
        if (!answer.path("ok").asBoolean()) {
          throw new CliFailure(
              answer.path("error").asText("the stack refused the request"),
              answer.path("exitCode").asInt(1));
        }
        return answer;
      } catch (IOException e) {
        throw new CliFailure("enclave control: " + e.getMessage());
      }
    }

    /**
     * Prints console lines until the enclave ends, the stack goes or {@code timeout} (null: none)
     * passes.
     *
     * @return whether the enclave ended
     */
    boolean streamConsole(PrintWriter out, Duration timeout) {
      long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
      try {
        connection.readTimeout(Duration.ofSeconds(3)); // the stack sends a keep-alive every second
        while (timeout == null || System.nanoTime() - deadline < 0) {
          byte[] frame;
          try {
            frame = Frames.read(in, MAX_MESSAGE);
          } catch (SocketTimeoutException quiet) {
            continue;
          }
          if (frame.length == 0 || frame[0] == END) {
            return true;
          }
          if (frame[0] == LINE) {
            out.println(new String(frame, 1, frame.length - 1, StandardCharsets.UTF_8));
            out.flush();
          }
        }
        return false;
      } catch (IOException e) {
        return true; // the stack closed the stream: the enclave is gone
      }
    }

    @Override
    public void close() {
      try {
        connection.close();
      } catch (IOException ignored) {
        // closing a local socket
      }
      transport.close();
    }
  }
}

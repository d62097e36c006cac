package dev.nitroemu.probe;

import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.LoopbackForwarder;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockTransport;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * A small enclave application for enclave-container's tests: listens on vsock port {@value #PORT}
 * (hybrid vsock from the environment) and answers one command per connection, each a UTF string
 * followed by length-prefixed byte arrays: ECHO, ATTEST (a document for a nonce from the NSM
 * service at 3:9797), DECRYPT (KMS with Recipient through the vsock-proxy at 3:8000), CALL_PARENT
 * (a connection to the parent), and isolation probes (DNS, TCP, MEMORY, WRITE_FILE, READ_FILE,
 * EXIT).
 */
public final class ProbeEnclave {

  /** The vsock port the probe listens on. */
  public static final long PORT = 5000;

  private static final int MAX_PAYLOAD = 4 << 20;

  private ProbeEnclave() {}

  /** Runs the probe until the container stops. */
  public static void main(String[] args) throws Exception {
    VsockTransport transport = VsockTransport.fromEnvironment();
    try (VsockListener listener = transport.listen(VsockAddress.anyCid(PORT))) {
      System.out.println("probe enclave listening on vsock port " + PORT + " via " + transport);
      while (true) {
        VsockConnection connection = listener.accept();
        Thread worker =
            new Thread(() -> serve(transport, connection), "probe-" + connection.remoteAddress());
        worker.setDaemon(true);
        worker.start();
      }
    }
  }

  private static void serve(VsockTransport transport, VsockConnection connection) {
    try (connection) {
      DataInputStream in = new DataInputStream(connection.inputStream());
      DataOutputStream out = new DataOutputStream(connection.outputStream());
      String command;
      try {
        command = in.readUTF();
      } catch (IOException probeOrEmpty) {
        return; // a readiness probe: connected and closed
      }
      byte[] answer;
      try {
        answer = answer(transport, command, in);
      } catch (Exception e) {
        answer = ("ERROR " + e).getBytes(StandardCharsets.UTF_8);
      }
      writeBytes(out, answer);
      out.flush();
    } catch (IOException e) {
      System.out.println("probe: connection failed: " + e);
    }
  }

  private static byte[] answer(VsockTransport transport, String command, DataInputStream in)
      throws Exception {
    switch (command) {
      case "ECHO":
        return readBytes(in);
      case "ATTEST":
        {
          byte[] nonce = readBytes(in);
          try (RemoteNsm nsm = RemoteNsm.connect(transport, RemoteNsm.DEFAULT_ADDRESS)) {
            return nsm.attestation(null, nonce, null);
          }
        }
      case "DECRYPT":
        return decrypt(transport, readBytes(in));
      case "CALL_PARENT":
        {
          long port = Integer.toUnsignedLong(in.readInt()); // a vsock port: unsigned 32-bit
          byte[] payload = readBytes(in);
          try (VsockConnection parent =
              transport.connect(VsockAddress.of(VsockAddress.CID_PARENT, port))) {
            DataOutputStream out = new DataOutputStream(parent.outputStream());
            writeBytes(out, payload);
            out.flush();
            return readBytes(new DataInputStream(parent.inputStream()));
          }
        }
      case "DNS":
        return text(
            () ->
                "resolved "
                    + InetAddress.getByName(new String(readBytes(in), StandardCharsets.UTF_8)));
      case "TCP":
        {
          String target = new String(readBytes(in), StandardCharsets.UTF_8);
          int colon = target.lastIndexOf(':');
          return text(
              () -> {
                try (Socket socket = new Socket()) {
                  socket.connect(
                      new InetSocketAddress(
                          target.substring(0, colon),
                          Integer.parseInt(target.substring(colon + 1))),
                      3000);
                  return "connected";
                }
              });
        }
      case "MEMORY":
        return memory().getBytes(StandardCharsets.UTF_8);
      case "WRITE_FILE":
        {
          Path file = Path.of(new String(readBytes(in), StandardCharsets.UTF_8));
          Files.createDirectories(file.getParent());
          Files.write(file, readBytes(in));
          return "written".getBytes(StandardCharsets.UTF_8);
        }
      case "READ_FILE":
        {
          Path file = Path.of(new String(readBytes(in), StandardCharsets.UTF_8));
          return Files.exists(file)
              ? Files.readAllBytes(file)
              : "ABSENT".getBytes(StandardCharsets.UTF_8);
        }
      case "EXIT":
        {
          int status = in.readInt();
          new Thread(
                  () -> {
                    sleepQuietly(200);
                    System.out.println("probe enclave exiting with status " + status);
                    System.exit(status);
                  })
              .start();
          return "exiting".getBytes(StandardCharsets.UTF_8);
        }
      case "ALLOCATE":
        {
          // Touches native memory (outside the heap cap) until the container's memory cap ends the
          // process.
          List<java.nio.ByteBuffer> held = new ArrayList<>();
          while (true) {
            java.nio.ByteBuffer block = java.nio.ByteBuffer.allocateDirect(16 << 20);
            for (int i = 0; i < block.capacity(); i += 4096) {
              block.put(i, (byte) 1);
            }
            held.add(block);
          }
        }
      default:
        return ("ERROR unknown command " + command).getBytes(StandardCharsets.UTF_8);
    }
  }

  private static byte[] decrypt(VsockTransport transport, byte[] ciphertext) throws IOException {
    // A loopback forwarder to the parent's KMS vsock-proxy, as enclave apps run socat or AWS's
    // traffic forwarder: the SDK talks plain HTTP to 127.0.0.1 and the bytes travel over vsock.
    try (LoopbackForwarder forwarder =
            LoopbackForwarder.start(transport, VsockAddress.of(VsockAddress.CID_PARENT, 8000));
        RemoteNsm nsm = RemoteNsm.connect(transport, RemoteNsm.DEFAULT_ADDRESS);
        KmsClient client =
            EnclaveKmsClient.kmsClient(
                forwarder.httpEndpoint(),
                System.getenv("AWS_REGION"),
                System.getenv("AWS_ACCESS_KEY_ID"),
                System.getenv("AWS_SECRET_ACCESS_KEY"));
        EnclaveKmsClient kms = EnclaveKmsClient.builder().nsm(nsm).kmsClient(client).build()) {
      return kms.decrypt(ciphertext);
    }
  }

  private static String memory() throws IOException {
    Path v1 = Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    Path v2 = Path.of("/sys/fs/cgroup/memory.max");
    String limit =
        Files.exists(v1)
            ? Files.readString(v1).strip()
            : Files.exists(v2) ? Files.readString(v2).strip() : "unknown";
    return "limit="
        + limit
        + " maxHeap="
        + Runtime.getRuntime().maxMemory()
        + " cpus="
        + Runtime.getRuntime().availableProcessors();
  }

  private interface Attempt {
    String run() throws Exception;
  }

  private static byte[] text(Attempt attempt) {
    String result;
    try {
      result = attempt.run();
    } catch (Exception e) {
      result = "FAILED " + e.getClass().getName() + ": " + e.getMessage();
    }
    return result.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_PAYLOAD) {
      throw new IOException("payload length " + length + " is out of range");
    }
    return in.readNBytes(length);
  }

  private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

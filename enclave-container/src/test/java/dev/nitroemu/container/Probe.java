package dev.nitroemu.container;

import dev.nitroemu.enclave.VsockConnection;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The parent side of the probe enclave's protocol: one command per vsock connection. */
final class Probe {

  private Probe() {}

  /** Sends {@code command} with {@code payloads} (byte[] or Integer) and returns the answer. */
  static byte[] call(EnclaveContainer enclave, String command, Object... payloads)
      throws IOException {
    try (VsockConnection connection = enclave.connect(ProbeImages.PORT)) {
      DataOutputStream out = new DataOutputStream(connection.outputStream());
      out.writeUTF(command);
      for (Object payload : payloads) {
        if (payload instanceof Integer number) {
          out.writeInt(number);
        } else {
          byte[] bytes =
              payload instanceof String text
                  ? text.getBytes(StandardCharsets.UTF_8)
                  : (byte[]) payload;
          out.writeInt(bytes.length);
          out.write(bytes);
        }
      }
      out.flush();
      DataInputStream in = new DataInputStream(connection.inputStream());
      int length = in.readInt();
      return in.readNBytes(length);
    }
  }

  /** {@link #call} with a text answer. */
  static String text(EnclaveContainer enclave, String command, Object... payloads)
      throws IOException {
    return new String(call(enclave, command, payloads), StandardCharsets.UTF_8);
  }

  /** Reads one length-prefixed message. */
  static byte[] read(DataInputStream in) throws IOException {
    return in.readNBytes(in.readInt());
  }

  /** Writes one length-prefixed message. */
  static void write(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
    out.flush();
  }

  static byte[] pattern(int size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    for (int i = 0; i < size; i++) {
      out.write((i * 31 + 7) & 0xFF);
    }
    return out.toByteArray();
  }
}

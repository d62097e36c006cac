package com.example.secret;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** The parent-enclave protocol: length-prefixed byte strings, one request and one answer per connection. */
final class Wire {

  /** The vsock port the enclave listens on. */
  static final int ENCLAVE_PORT = 5005;

  static final int MAX_FIELD_BYTES = 64 * 1024;

  private Wire() {}

  static void write(DataOutputStream out, byte[] field) throws IOException {
    out.writeInt(field.length);
    out.write(field);
  }

  static byte[] read(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_FIELD_BYTES) {
      throw new IOException("field of " + length + " bytes is out of range (0.." + MAX_FIELD_BYTES + ")");
    }
    byte[] field = in.readNBytes(length);
    if (field.length != length) {
      throw new IOException("the peer closed inside a field");
    }
    return field;
  }
}

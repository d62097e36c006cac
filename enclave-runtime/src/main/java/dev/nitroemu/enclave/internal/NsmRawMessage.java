package dev.nitroemu.enclave.internal;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmException;

/**
 * One {@code struct nsm_raw} and its request and response buffers in native memory, laid out as
 * {@link NsmIoctl} describes; reused for every call of one device handle and not thread-safe.
 */
public final class NsmRawMessage implements AutoCloseable {
  private final Memory struct = new Memory(NsmIoctl.RAW_STRUCT_SIZE);
  private final Memory requestBuffer = new Memory(Nsm.MAX_REQUEST_SIZE);
  private final Memory responseBuffer = new Memory(Nsm.MAX_RESPONSE_SIZE);

  public NsmRawMessage() {
    struct.clear();
    requestBuffer.clear();
    responseBuffer.clear();
  }

  /**
   * Copies a request into native memory and points the struct at it and at the 12288-byte response
   * buffer.
   *
   * @throws NsmException {@link ErrorCode#INPUT_TOO_LARGE} for more than 4096 bytes
   */
  public void prepare(byte[] request) {
    if (request.length > Nsm.MAX_REQUEST_SIZE) {
      throw new NsmException(
          ErrorCode.INPUT_TOO_LARGE, "request of " + request.length + " bytes exceeds 4096");
    }
    requestBuffer.write(0, request, 0, request.length);
    struct.setLong(NsmIoctl.REQUEST_ADDR_OFFSET, Pointer.nativeValue(requestBuffer));
    struct.setLong(NsmIoctl.REQUEST_LEN_OFFSET, request.length);
    struct.setLong(NsmIoctl.RESPONSE_ADDR_OFFSET, Pointer.nativeValue(responseBuffer));
    struct.setLong(NsmIoctl.RESPONSE_LEN_OFFSET, Nsm.MAX_RESPONSE_SIZE);
  }

  /** The struct to pass as the ioctl argument. */
  public Pointer pointer() {
    return struct;
  }

  /**
   * The response the driver wrote: {@code response.len} bytes of the response buffer.
   *
   * @throws NsmException {@link ErrorCode#INTERNAL_ERROR} if the length the driver set is outside
   *     0..12288
   */
  public byte[] response() {
    long length = struct.getLong(NsmIoctl.RESPONSE_LEN_OFFSET);
    if (length < 0 || length > Nsm.MAX_RESPONSE_SIZE) {
      throw new NsmException(
          ErrorCode.INTERNAL_ERROR,
          "driver reported a response of " + Long.toUnsignedString(length) + " bytes");
    }
    return responseBuffer.getByteArray(0, (int) length);
  }

  /** The 32 struct bytes in host order, as the kernel reads them. */
  byte[] structBytes() {
    return struct.getByteArray(0, NsmIoctl.RAW_STRUCT_SIZE);
  }

  /** Zeroes the struct and both buffers so no request or response lingers in native memory. */
  public void wipe() {
    struct.clear();
    requestBuffer.clear();
    responseBuffer.clear();
  }

  /** Wipes and frees the native memory; the message is unusable afterwards. */
  @Override
  public void close() {
    wipe();
    struct.close();
    requestBuffer.close();
    responseBuffer.close();
  }
}

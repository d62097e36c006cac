package dev.nitroemu.nsm;

import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.WireNsm;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.function.UnaryOperator;

/** The address, request, raw framing and stand-in module shared by the NsmVsockServer tests. */
final class NsmVsockServerFixtures {
  static final VsockAddress ADDRESS =
      VsockAddress.of(VsockAddress.CID_PARENT, NsmVsockServer.DEFAULT_PORT);
  static final byte[] DESCRIBE_NSM = NsmCodec.encodeRequest(new NsmRequest.DescribeNsm());

  private NsmVsockServerFixtures() {}

  static void writeFrameHeader(VsockConnection connection, int declaredLength, byte[] body)
      throws IOException {
    DataOutputStream out = new DataOutputStream(connection.outputStream());
    out.writeInt(declaredLength);
    out.write(body);
    out.flush();
  }

  /** An Nsm whose raw entry point is a function, recording whether it was closed. */
  static final class DelegatingNsm extends WireNsm {
    private final UnaryOperator<byte[]> process;
    volatile boolean closed;

    DelegatingNsm(UnaryOperator<byte[]> process) {
      this.process = process;
    }

    @Override
    public byte[] process(byte[] request) {
      return process.apply(request);
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}

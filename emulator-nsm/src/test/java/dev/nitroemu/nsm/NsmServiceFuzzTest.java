package dev.nitroemu.nsm;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmResponse;

/**
 * Fuzzes the software NSM as its vsock service drives it: any request bytes get a well-formed CBOR
 * response (an Error for bad input), never an exception, and the module stays usable.
 */
class NsmServiceFuzzTest {
  private static final SoftwareNsm NSM = SoftwareNsm.create();

  @FuzzTest(maxDuration = "30s")
  void process(byte[] request) {
    byte[] response = NSM.process(request);
    NsmResponse decoded = NsmCodec.decodeResponse(response);
    if (decoded == null) {
      throw new AssertionError("no response");
    }
  }
}

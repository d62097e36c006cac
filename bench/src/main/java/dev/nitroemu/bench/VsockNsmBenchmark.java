package dev.nitroemu.bench;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.ServiceEndpoint;
import dev.nitroemu.stack.StackServices;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Attestation round trips per second through the NSM-over-vsock service ({@link RemoteNsm} ->
 * emulated vsock -> {@link NsmVsockServer} -> {@link SoftwareNsm}) against calling the same kind of
 * software NSM in process: the cost of the framing, the CBOR request/response and the transport.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VsockNsmBenchmark {

  /** A software NSM called directly. */
  @State(Scope.Thread)
  public static class InProcess {
    final byte[] userData = new byte[32];
    final byte[] nonce = new byte[16];
    SoftwareNsm nsm;

    @Setup
    public void setUp() {
      nsm = SoftwareNsm.create();
    }

    @TearDown
    public void tearDown() {
      nsm.close();
    }
  }

  /**
   * An emulated environment serving its software NSM on vsock://3:PORT (as {@code nitro-emu start}
   * does) and one client connection to it.
   */
  @State(Scope.Thread)
  public static class OverVsock {
    final byte[] userData = new byte[32];
    final byte[] nonce = new byte[16];
    EnclaveEnvironment stack;
    RemoteNsm remote;

    @Setup
    public void setUp() throws IOException {
      stack =
          EnclaveEnvironment.builder()
              .mode(NitroMode.EMULATED)
              .services(StackServices.builder().nsmPort(VsockAddress.PORT_ANY).build())
              .start();
      VsockAddress served =
          stack.controls().service(ServiceEndpoint.NSM).orElseThrow().vsockAddress();
      remote = RemoteNsm.connect(stack.transport(), served);
    }

    @TearDown
    public void tearDown() {
      remote.close();
      Closeables.closeQuietly(stack);
    }
  }

  /** Baseline: one attestation document from the software NSM in this thread. */
  @Benchmark
  public byte[] inProcessAttest(InProcess module) {
    return module.nsm.attestation(module.userData, module.nonce, null);
  }

  /**
   * One attestation document requested over vsock: encode, frame, serve, sign, frame back, decode.
   */
  @Benchmark
  public byte[] remoteAttest(OverVsock module) {
    return module.remote.attestation(module.userData, module.nonce, null);
  }
}

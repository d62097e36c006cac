package dev.nitroemu.enclavetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclave.VsockTransport;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BootstrapServerTest {

  private VsockNetwork parent;
  private VsockNetwork enclave;
  private VsockNetwork otherEnclave;

  /** Three machines in one JVM: they find each other's listeners through a shared mapping file. */
  private Path dir;

  // Not @TempDir: a server that closes its own listener after serving rewrites the mapping file
  // asynchronously, and JUnit's strict deletion of a @TempDir then races that last write.
  @BeforeEach
  void network() throws java.io.IOException {
    dir = java.nio.file.Files.createTempDirectory("bootstrap-server-test");
    Path map = dir.resolve("vsock-map.json");
    parent = VsockNetwork.builder().mappingFile(map).localCid(VsockAddress.CID_PARENT).build();
    enclave = VsockNetwork.builder().mappingFile(map).localCid(16).build();
    otherEnclave = VsockNetwork.builder().mappingFile(map).localCid(17).build();
  }

  @AfterEach
  void close() throws Exception {
    parent.close();
    enclave.close();
    otherEnclave.close();
    try (var files = java.nio.file.Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Test
  void enclaveFetchesTheBootstrapOnceAndThenTheServerStopsListening() throws Exception {
    EnclaveBootstrap bootstrap =
        new EnclaveBootstrap(
            EnclaveBootstrapTest.imdsCredentials(), Map.of("aws.region", "us-east-1"));
    try (BootstrapServer server =
        BootstrapServer.builder(parent, bootstrap)
            .listenAddress(VsockAddress.anyCid(8001))
            .build()
            .start()) {
      EnclaveBootstrap fetched =
          EnclaveBootstrap.fetch(
              enclave, VsockAddress.of(3, 8001), Duration.ofSeconds(10), Clock.systemUTC());

      assertThat(fetched).isEqualTo(bootstrap);
      assertThat(server.served()).isEqualTo(1);
      assertThatThrownBy(() -> connectUntilRefused(VsockAddress.of(3, 8001)))
          .isInstanceOf(ConnectException.class);
    }
  }

  /**
   * Deterministic form of a flake: served() was counted only after the peer could have read the
   * answer.
   */
  @Test
  void theServeIsCountedBeforeTheAnswerGoesOut() throws Exception {
    EnclaveBootstrap bootstrap = new EnclaveBootstrap(null, Map.of("aws.region", "us-east-1"));
    AtomicReference<BootstrapServer> server = new AtomicReference<>();
    List<Integer> servedWhenWriting = new CopyOnWriteArrayList<>();
    VsockTransport observed =
        new ObservingTransport(parent, () -> servedWhenWriting.add(server.get().served()));
    server.set(
        BootstrapServer.builder(observed, bootstrap)
            .listenAddress(VsockAddress.anyCid(8001))
            .build());
    try (BootstrapServer started = server.get().start()) {
      EnclaveBootstrap fetched =
          EnclaveBootstrap.fetch(
              enclave, VsockAddress.of(3, 8001), Duration.ofSeconds(10), Clock.systemUTC());

      assertThat(fetched).isEqualTo(bootstrap);
      assertThat(servedWhenWriting).isNotEmpty().allMatch(count -> count == 1);
      assertThat(started.served()).isEqualTo(1);
    }
  }

  @Test
  void connectionsFromAnotherCidGetNothing() throws Exception {
    EnclaveBootstrap bootstrap =
        new EnclaveBootstrap(null, Map.of("nitro.kms.keyId", "alias/nightly"));
    try (BootstrapServer server =
        BootstrapServer.builder(parent, bootstrap)
            .listenAddress(VsockAddress.anyCid(8001))
            .allowedCid(16)
            .build()
            .start()) {
      try (VsockConnection intruder = otherEnclave.connect(VsockAddress.of(3, 8001))) {
        assertThat(Frames.read(intruder.inputStream(), EnclaveBootstrap.MAX_SIZE)).isNull();
      }
      EnclaveBootstrap fetched =
          EnclaveBootstrap.fetch(
              enclave, VsockAddress.of(3, 8001), Duration.ofSeconds(10), Clock.systemUTC());

      assertThat(fetched.properties()).containsEntry("nitro.kms.keyId", "alias/nightly");
      assertThat(server.refused()).isEqualTo(1);
      assertThat(server.served()).isEqualTo(1);
    }
  }

  /**
   * Connections are served in parallel now; still, however many arrive at once, one gets the
   * credentials.
   */
  @Test
  void concurrentConnectionsGetTheBootstrapOnlyOnce() throws Exception {
    EnclaveBootstrap bootstrap =
        new EnclaveBootstrap(null, Map.of("nitro.kms.keyId", "alias/once"));
    int clients = BootstrapServer.MAX_CONCURRENT_CONNECTIONS;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try (BootstrapServer server =
        BootstrapServer.builder(parent, bootstrap)
            .listenAddress(VsockAddress.anyCid(8001))
            .build()
            .start()) {
      List<Future<byte[]>> received = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        received.add(
            pool.submit(
                () -> {
                  try (VsockConnection connection = enclave.connect(VsockAddress.of(3, 8001))) {
                    connection.readTimeout(Duration.ofSeconds(20));
                    return Frames.read(connection.inputStream(), EnclaveBootstrap.MAX_SIZE);
                  } catch (java.io.IOException closedUnanswered) {
                    return null; // Refused, reset, or the listener already gone: no bootstrap.
                  }
                }));
      }
      int bootstraps = 0;
      for (Future<byte[]> frame : received) {
        if (frame.get(30, TimeUnit.SECONDS) != null) {
          bootstraps++;
        }
      }
      assertThat(bootstraps).isEqualTo(1);
      assertThat(server.served()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void fetchGivesUpWhenNothingListensBeforeTheDeadline() {
    assertThatThrownBy(
            () ->
                EnclaveBootstrap.fetch(
                    enclave,
                    VsockAddress.of(3, 8001),
                    Duration.ofSeconds(5),
                    FixtureLauncher.steppingClock(Duration.ofSeconds(6))))
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void startingTwiceOrAskingForTheAddressEarlyFails() throws Exception {
    BootstrapServer server =
        BootstrapServer.builder(parent, new EnclaveBootstrap(null, Map.of())).build();
    assertThatThrownBy(server::localAddress).hasMessage("call start() first");
    try (BootstrapServer started = server.start()) {
      assertThat(started.localAddress())
          .isEqualTo(VsockAddress.anyCid(EnclaveBootstrap.DEFAULT_PORT));
      assertThatThrownBy(started::start).hasMessage("start() already called");
    }
  }

  /**
   * A transport whose accepted connections run {@code beforeWrite} before each write of the
   * server's answer.
   */
  private record ObservingTransport(VsockTransport delegate, Runnable beforeWrite)
      implements VsockTransport {
    @Override
    public VsockConnection connect(VsockAddress address, Duration timeout) throws IOException {
      return delegate.connect(address, timeout);
    }

    @Override
    public VsockListener listen(VsockAddress address) throws IOException {
      VsockListener listener = delegate.listen(address);
      return new VsockListener() {
        @Override
        public VsockConnection accept() throws IOException {
          return new ObservedConnection(listener.accept(), beforeWrite);
        }

        @Override
        public VsockAddress localAddress() {
          return listener.localAddress();
        }

        @Override
        public boolean isClosed() {
          return listener.isClosed();
        }

        @Override
        public void close() throws IOException {
          listener.close();
        }
      };
    }
  }

  private record ObservedConnection(VsockConnection delegate, Runnable beforeWrite)
      implements VsockConnection {
    @Override
    public InputStream inputStream() throws IOException {
      return delegate.inputStream();
    }

    @Override
    public OutputStream outputStream() throws IOException {
      return new FilterOutputStream(delegate.outputStream()) {
        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
          beforeWrite.run();
          out.write(bytes, offset, length);
        }
      };
    }

    @Override
    public void shutdownOutput() throws IOException {
      delegate.shutdownOutput();
    }

    @Override
    public void shutdownInput() throws IOException {
      delegate.shutdownInput();
    }

    @Override
    public void readTimeout(Duration timeout) throws IOException {
      delegate.readTimeout(timeout);
    }

    @Override
    public VsockAddress localAddress() {
      return delegate.localAddress();
    }

    @Override
    public VsockAddress remoteAddress() {
      return delegate.remoteAddress();
    }

    @Override
    public boolean isClosed() {
      return delegate.isClosed();
    }

    @Override
    public void close() throws IOException {
      delegate.close();
    }
  }

  /** The server closes its listener right after answering; wait until connects are refused. */
  private void connectUntilRefused(VsockAddress address) throws Exception {
    for (int attempt = 0; attempt < 200; attempt++) {
      enclave.connect(address).close();
    }
  }
}

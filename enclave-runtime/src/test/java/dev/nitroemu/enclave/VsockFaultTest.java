package dev.nitroemu.enclave;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
@SuppressWarnings(
    "try") // Resources opened only for their lifetime, and close() called to test idempotency.
class VsockFaultTest {

  private static final VsockAddress ENCLAVE = VsockAddress.of(16, 5000);

  private final VsockNetwork network = VsockNetwork.create();

  @AfterEach
  void closeNetwork() throws IOException {
    network.close();
  }

  @Test
  void refusedAddressFailsToConnectUntilTheFaultIsCleared() throws Exception {
    try (EchoService echo = EchoService.on(network, ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.refuse());
      assertThatThrownBy(() -> network.connect(ENCLAVE))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("Connection refused");

      network.clearFault(ENCLAVE);
      try (VsockConnection connection = network.connect(ENCLAVE)) {
        assertThat(VsockNetworkTest.exchange(connection, "ok".getBytes(UTF_8)))
            .asString(UTF_8)
            .isEqualTo("ok");
      }
    }
  }

  @Test
  void faultOnOneAddressLeavesOthersAlone() throws Exception {
    try (EchoService a = EchoService.on(network, ENCLAVE);
        EchoService b = EchoService.on(network, VsockAddress.of(17, 5000))) {
      network.injectFault(ENCLAVE, VsockFault.refuse());
      try (VsockConnection connection = network.connect(VsockAddress.of(17, 5000))) {
        assertThat(VsockNetworkTest.exchange(connection, "x".getBytes(UTF_8))).hasSize(1);
      }
    }
  }

  @Test
  void faultOnAnyCidAppliesToEveryCidOnThatPort() throws Exception {
    try (EchoService echo = EchoService.on(network, VsockAddress.of(21, 5000))) {
      network.injectFault(VsockAddress.anyCid(5000), VsockFault.refuse());
      assertThatThrownBy(() -> network.connect(VsockAddress.of(21, 5000)))
          .isInstanceOf(ConnectException.class);
      network.clearFaults();
      network.connect(VsockAddress.of(21, 5000)).close();
    }
  }

  @Test
  void connectLatencyDelaysTheConnect() throws Exception {
    try (EchoService echo = EchoService.on(network, ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.connectLatency(Duration.ofMillis(300)));
      long start = System.nanoTime();
      network.connect(ENCLAVE).close();
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }
  }

  @Test
  void connectLatencyLongerThanTheTimeoutTimesOut() throws Exception {
    try (EchoService echo = EchoService.on(network, ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.connectLatency(Duration.ofHours(1)));
      long start = System.nanoTime();
      assertThatThrownBy(() -> network.connect(ENCLAVE, Duration.ofMillis(200)))
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(200))
          .isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void readLatencyDelaysEveryRead() throws Exception {
    try (VsockListener listener = network.listen(ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.readLatency(Duration.ofMillis(100)));
      try (VsockConnection client = network.connect(ENCLAVE);
          VsockConnection server = listener.accept()) {
        server.outputStream().write(new byte[] {1, 2, 3});
        server.shutdownOutput();
        long start = System.nanoTime();
        InputStream in = client.inputStream();
        int reads = 0;
        while (in.read() >= 0) {
          reads++;
        }
        assertThat(reads).isEqualTo(3);
        // Three data reads plus the end-of-stream read, each delayed by 100 ms.
        assertThat(Duration.ofNanos(System.nanoTime() - start))
            .isGreaterThanOrEqualTo(Duration.ofMillis(400));
      }
    }
  }

  @Test
  void latencyDelaysConnectAndReads() throws Exception {
    VsockFault fault = VsockFault.latency(Duration.ofMillis(150));
    assertThat(fault.connectLatency()).isEqualTo(Duration.ofMillis(150));
    assertThat(fault.readLatency()).isEqualTo(Duration.ofMillis(150));
    try (EchoService echo = EchoService.on(network, ENCLAVE)) {
      network.injectFault(ENCLAVE, fault);
      long start = System.nanoTime();
      try (VsockConnection connection = network.connect(ENCLAVE)) {
        connection.outputStream().write(9);
        assertThat(connection.inputStream().read()).isEqualTo(9);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }
  }

  @Test
  void resetAfterBytesDeliversExactlyThatManyThenResetsBothEnds() throws Exception {
    try (VsockListener listener = network.listen(ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.resetAfter(10));
      try (VsockConnection client = network.connect(ENCLAVE);
          VsockConnection server = listener.accept()) {
        byte[] payload = new byte[100];
        Arrays.fill(payload, (byte) 7);
        server.outputStream().write(payload);

        byte[] received = new byte[100];
        int total = 0;
        InputStream in = client.inputStream();
        IOException failure = null;
        try {
          int n;
          while ((n = in.read(received, total, received.length - total)) > 0) {
            total += n;
          }
        } catch (IOException e) {
          failure = e;
        }
        assertThat(total).isEqualTo(10);
        assertThat(failure)
            .isInstanceOf(SocketException.class)
            .hasMessageContaining("Connection reset");
        assertThat(client.isClosed()).isTrue();
        assertThatThrownBy(() -> server.inputStream().read()).isInstanceOf(SocketException.class);
      }
    }
  }

  @Test
  void resetBudgetCountsBytesSentToo() throws Exception {
    try (VsockListener listener = network.listen(ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.resetAfter(5));
      try (VsockConnection client = network.connect(ENCLAVE);
          VsockConnection server = listener.accept()) {
        assertThatThrownBy(() -> client.outputStream().write("0123456789".getBytes(UTF_8)))
            .isInstanceOf(SocketException.class)
            .hasMessageContaining("Connection reset");
        byte[] got = new byte[5];
        int total = 0;
        while (total < 5) {
          total += server.inputStream().read(got, total, 5 - total);
        }
        assertThat(got).asString(UTF_8).isEqualTo("01234");
      }
    }
  }

  @Test
  void stalledReadsReturnDataOnlyAfterTheStall() throws Exception {
    try (VsockListener listener = network.listen(ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.stallReads(Duration.ofMillis(400)));
      long start = System.nanoTime();
      try (VsockConnection client = network.connect(ENCLAVE);
          VsockConnection server = listener.accept()) {
        server.outputStream().write(42);
        assertThat(client.inputStream().read()).isEqualTo(42);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
            .isGreaterThanOrEqualTo(Duration.ofMillis(400));
        long afterStall = System.nanoTime();
        server.outputStream().write(43);
        assertThat(client.inputStream().read()).isEqualTo(43);
        assertThat(Duration.ofNanos(System.nanoTime() - afterStall))
            .isLessThan(Duration.ofMillis(400));
      }
    }
  }

  @Test
  void closingWakesAStalledRead() throws Exception {
    try (VsockListener listener = network.listen(ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.stallReads(Duration.ofHours(1)));
      try (VsockConnection client = network.connect(ENCLAVE);
          VsockConnection server = listener.accept()) {
        server.outputStream().write(1);
        CompletableFuture<Integer> read =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return client.inputStream().read();
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                });
        client.close();
        assertThatThrownBy(() -> read.get(10, TimeUnit.SECONDS))
            .hasRootCauseInstanceOf(SocketException.class)
            .hasRootCauseMessage("Socket closed");
      }
    }
  }

  @Test
  void readTimeoutEndsAStalledRead() throws Exception {
    try (VsockListener listener = network.listen(ENCLAVE)) {
      network.injectFault(ENCLAVE, VsockFault.stallReads(Duration.ofHours(1)));
      try (VsockConnection client = network.connect(ENCLAVE);
          VsockConnection server = listener.accept()) {
        server.outputStream().write(1);
        client.readTimeout(Duration.ofMillis(100));
        assertThatThrownBy(() -> client.inputStream().read())
            .isInstanceOf(SocketTimeoutException.class);
        assertThat(client.isClosed()).isFalse();
      }
    }
  }

  @Test
  void faultsAreCapturedWhenAConnectionOpens() throws Exception {
    try (VsockListener listener = network.listen(ENCLAVE)) {
      try (VsockConnection client = network.connect(ENCLAVE);
          VsockConnection server = listener.accept()) {
        network.injectFault(ENCLAVE, VsockFault.resetAfter(0));
        server.outputStream().write(5);
        assertThat(client.inputStream().read()).isEqualTo(5);
      }
    }
  }

  @Test
  void faultsCombineAndDescribeThemselves() {
    VsockFault combined =
        VsockFault.refuse()
            .and(VsockFault.resetAfter(3))
            .and(VsockFault.stallReads(Duration.ofSeconds(1)));
    assertThat(combined.refusesConnections()).isTrue();
    assertThat(combined.resetAfterBytes()).isEqualTo(3);
    assertThat(combined.readStall()).isEqualTo(Duration.ofSeconds(1));
    assertThat(combined)
        .isEqualTo(
            VsockFault.stallReads(Duration.ofSeconds(1))
                .and(VsockFault.resetAfter(3))
                .and(VsockFault.refuse()));
    assertThat(combined.toString()).contains("refuse", "resetAfter=3B", "stallReads=PT1S");
    assertThat(VsockFault.none()).hasToString("VsockFault[none]");
    assertThat(network.faultFor(ENCLAVE)).isEqualTo(VsockFault.none());
  }

  @Test
  void invalidFaultParametersAreRejected() {
    assertThatThrownBy(() -> VsockFault.resetAfter(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VsockFault.latency(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VsockFault.stallReads(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

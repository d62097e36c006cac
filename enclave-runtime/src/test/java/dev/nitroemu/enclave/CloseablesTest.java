package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CloseablesTest {

  @Test
  void closesAndSwallowsWhatCloseThrows() {
    AtomicInteger closed = new AtomicInteger();

    Closeables.closeQuietly(closed::incrementAndGet);
    Closeables.closeQuietly(
        () -> {
          closed.incrementAndGet();
          throw new IOException("broken pipe");
        });
    Closeables.closeQuietly(null);

    assertThat(closed).hasValue(2);
  }

  @Test
  void anInterruptReportedByCloseIsRestored() {
    try {
      Closeables.closeQuietly(
          () -> {
            throw new InterruptedException();
          });

      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void closeAfterAttachesTheCloseFailureToTheOriginalOne() {
    IllegalStateException original = new IllegalStateException("handshake failed");
    IOException closeFailure = new IOException("reset");

    IllegalStateException returned =
        Closeables.closeAfter(
            () -> {
              throw closeFailure;
            },
            original);

    assertThat(returned).isSameAs(original);
    assertThat(original.getSuppressed()).containsExactly(closeFailure);
    assertThat(Closeables.closeAfter(null, original)).isSameAs(original);
  }
}

package dev.nitroemu.stack.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloserTest {

  @Test
  void closesNewestFirstAndEveryOneEvenWhenSomeFail() {
    List<String> closed = new ArrayList<>();
    Closer closer = new Closer();
    closer.register(() -> closed.add("first"));
    closer.register(
        () -> {
          closed.add("second");
          throw new IllegalStateException("second failed");
        });
    closer.register(
        () -> {
          closed.add("third");
          throw new IllegalArgumentException("third failed");
        });

    assertThatThrownBy(closer::close)
        .hasMessage("third failed")
        .satisfies(
            e ->
                assertThat(e.getSuppressed())
                    .extracting(Throwable::getMessage)
                    .containsExactly("second failed"));
    assertThat(closed).containsExactly("third", "second", "first");
  }

  @Test
  void aCheckedFailureIsThrownUnchecked() {
    Closer closer = new Closer();
    closer.register(
        () -> {
          throw new Exception("checked");
        });
    closer.register(
        () -> {
          throw new java.io.IOException("io");
        });

    assertThatThrownBy(closer::close)
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasRootCauseMessage("io")
        .satisfies(
            e ->
                assertThat(e.getCause().getSuppressed())
                    .singleElement()
                    .satisfies(suppressed -> assertThat(suppressed).hasMessage("checked")));
  }

  @Test
  void anInterruptedCloseKeepsTheInterruptFlag() {
    Closer closer = new Closer();
    closer.register(
        () -> {
          throw new InterruptedException("interrupted");
        });
    try {
      assertThatThrownBy(closer::close)
          .isInstanceOf(IllegalStateException.class)
          .hasCauseInstanceOf(InterruptedException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void closeIsIdempotentAndLaterRegistrationFails() {
    List<String> closed = new ArrayList<>();
    Closer closer = new Closer();
    closer.register(() -> closed.add("once"));

    closer.close();
    closer.close();

    assertThat(closed).containsExactly("once");
    assertThatThrownBy(() -> closer.register(() -> {}))
        .hasMessageContaining("close() already called");
  }

  @Test
  void closeAfterAttachesCloseFailuresToTheOriginalFailure() {
    Closer closer = new Closer();
    closer.register(
        () -> {
          throw new IllegalStateException("cleanup failed");
        });
    RuntimeException original = new RuntimeException("start failed");

    assertThat(closer.closeAfter(original)).isSameAs(original);
    assertThat(original.getSuppressed())
        .extracting(Throwable::getMessage)
        .containsExactly("cleanup failed");
  }
}

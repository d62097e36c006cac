package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirectBufferPoolTest {

  @Test
  void buffersAreDirectClearedAndReusedUpToTheBound() {
    DirectBufferPool pool = new DirectBufferPool(1024, 2);
    List<ByteBuffer> taken = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      taken.add(pool.take());
    }
    assertThat(taken).allSatisfy(b -> assertThat(b.isDirect()).isTrue());
    assertThat(taken).allSatisfy(b -> assertThat(b.capacity()).isEqualTo(1024));
    taken.get(0).put((byte) 1).flip();
    taken.forEach(pool::give);
    assertThat(pool.idleBuffers()).as("at most two kept").isEqualTo(2);

    ByteBuffer again = pool.take();
    assertThat(again).isSameAs(taken.get(0));
    assertThat(again.position()).isZero();
    assertThat(again.remaining()).isEqualTo(1024);
    pool.give(null);
    assertThat(pool.idleBuffers()).isEqualTo(1);
  }

  @Test
  void sizesMustBePositive() {
    assertThatThrownBy(() -> new DirectBufferPool(0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DirectBufferPool(1, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

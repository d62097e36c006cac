package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LruCacheTest {

  @Test
  void leastRecentlyUsedEntryIsEvictedWhenFull() {
    LruCache<String, Integer> cache = new LruCache<>(2);
    cache.put("a", 1);
    cache.put("b", 2);
    assertThat(cache.get("a")).isEqualTo(1); // "b" is now the least recently used

    cache.put("c", 3);

    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get("b")).isNull();
    assertThat(cache.get("a")).isEqualTo(1);
    assertThat(cache.get("c")).isEqualTo(3);
  }

  @Test
  void sizeMustBePositive() {
    assertThatThrownBy(() -> new LruCache<String, String>(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

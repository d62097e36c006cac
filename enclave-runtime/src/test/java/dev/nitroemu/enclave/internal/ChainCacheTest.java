package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.AttestationVerifier;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChainCacheTest {
  private static final byte[] A = {1, 2, 3};
  private static final byte[] B = {4, 5};

  @Test
  void keyDependsOnEveryCertificateAndHowTheBytesAreSplit() {
    String key = ChainCache.key(A, List.of(B), A);

    assertThat(ChainCache.key(A.clone(), List.of(B.clone()), A.clone())).isEqualTo(key);
    assertThat(ChainCache.key(B, List.of(A), A)).isNotEqualTo(key);
    assertThat(ChainCache.key(A, List.of(B), B)).isNotEqualTo(key);
    assertThat(ChainCache.key(A, List.of(B, A), A)).isNotEqualTo(key);
    assertThat(ChainCache.key(new byte[] {1, 2}, List.of(new byte[] {3, 4, 5}), A))
        .isNotEqualTo(key);
  }

  @Test
  void entryAnswersOnlyInsideItsValidityWindow() {
    ChainCache cache = new ChainCache(4);
    Instant from = Instant.parse("2030-01-01T00:00:00Z");
    Instant to = Instant.parse("2030-01-01T03:00:00Z");
    ValidatedChain chain = new ValidatedChain(List.of(AttestationVerifier.awsRoot()), from, to);
    cache.store("k", chain);

    assertThat(cache.lookup("k", from)).isSameAs(chain);
    assertThat(cache.lookup("k", to)).isSameAs(chain);
    assertThat(cache.lookup("k", to.plusMillis(1))).isNull();
    assertThat(cache.lookup("k", from.minusMillis(1))).isNull();
    assertThat(cache.lookup("other", from)).isNull();
    assertThat(cache.hits()).isEqualTo(2);
    assertThat(cache.misses()).isEqualTo(3);
  }
}

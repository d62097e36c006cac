package dev.nitroemu.enclave.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Remembers chains that passed {@link ChainValidator}, keyed by the SHA-256 of the leaf, the
 * cabundle and the trust anchor, so that verifying another document from the same enclave costs
 * only its ES384 signature check.
 *
 * <p>An entry answers only for times inside the chain's validity window; outside it the caller
 * validates again, so expiry is still detected after a cached success.
 */
public final class ChainCache {
  /** Default number of chains kept. */
  public static final int DEFAULT_MAX_ENTRIES = 256;

  private final LruCache<String, ValidatedChain> chains;
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();

  public ChainCache(int maxEntries) {
    this.chains = new LruCache<>(maxEntries);
  }

  /**
   * The cache key of a chain: SHA-256 over each DER, each prefixed with its length so that
   * different splits of the same bytes give different keys.
   */
  public static String key(byte[] leafDer, List<byte[]> cabundle, byte[] anchorDer) {
    MessageDigest sha256 = CertificateCache.sha256();
    update(sha256, leafDer);
    sha256.update(ByteBuffer.allocate(4).putInt(cabundle.size()).array());
    for (byte[] der : cabundle) {
      update(sha256, der);
    }
    update(sha256, anchorDer);
    return HexFormat.of().formatHex(sha256.digest());
  }

  private static void update(MessageDigest digest, byte[] bytes) {
    digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    digest.update(bytes);
  }

  /** The cached chain for {@code key} if it is valid at {@code time}, else null (a miss). */
  public ValidatedChain lookup(String key, Instant time) {
    ValidatedChain chain = chains.get(key);
    if (chain != null && chain.coversTime(time)) {
      hits.incrementAndGet();
      return chain;
    }
    misses.incrementAndGet();
    return null;
  }

  /** Stores a chain that just passed validation. */
  public void store(String key, ValidatedChain chain) {
    chains.put(key, chain);
  }

  /** Lookups answered from the cache. */
  public long hits() {
    return hits.get();
  }

  /** Lookups that needed a full validation. */
  public long misses() {
    return misses.get();
  }

  /** How many chains are cached. */
  public int size() {
    return chains.size();
  }
}

package dev.nitroemu.enclave.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small thread-safe least-recently-used map with a fixed maximum size.
 *
 * <p>Values are computed outside the lock, so two threads may compute the same value at once; the
 * caches using this only hold values that are equal however often they are computed.
 */
public final class LruCache<K, V> {
  private final Map<K, V> entries;

  public LruCache(int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive, got " + maxEntries);
    }
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
            return size() > maxEntries;
          }
        };
  }

  /** The cached value, or null; a hit makes the entry the most recently used. */
  public synchronized V get(K key) {
    return entries.get(key);
  }

  /** Stores a value, evicting the least recently used entry when full. */
  public synchronized void put(K key, V value) {
    entries.put(key, value);
  }

  /** How many entries are cached. */
  public synchronized int size() {
    return entries.size();
  }
}

package dev.nitroemu.kms.internal;

import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Canonical copies of short strings that repeat from call to call (principal ARNs, user agents,
 * addresses, key ARNs, recipient blocks, often whole parameter sets), so that the 100,000 events an
 * audit log retains share them instead of each holding its own. Bounded in entries and entry length.
 */
public final class StringPool {
  private static final ConcurrentHashMap<String, String> SHARED = new ConcurrentHashMap<>();
  private static final int MAX_ENTRIES = 4096;
  private static final int MAX_LENGTH = 1024;

  private StringPool() {}

  /** The pooled copy of {@code value} (itself when new, too long or null). */
  public static String share(String value) {
    if (value == null || value.length() > MAX_LENGTH) {
      return value;
    }
    if (SHARED.size() >= MAX_ENTRIES) {
      // Dropping everything keeps the pool bounded; later values are pooled afresh.
      SHARED.clear();
    }
    String existing = SHARED.putIfAbsent(value, value);
    return existing == null ? value : existing;
  }

  /** The UUID a canonical lower-case UUID string spells, else null (then the text must be kept as is). */
  public static UUID asUuid(String text) {
    if (text == null || text.length() != 36) {
      return null;
    }
    try {
      UUID uuid = UUID.fromString(text);
      boolean nil = uuid.getMostSignificantBits() == 0 && uuid.getLeastSignificantBits() == 0;
      return !nil && uuid.toString().equals(text) ? uuid : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

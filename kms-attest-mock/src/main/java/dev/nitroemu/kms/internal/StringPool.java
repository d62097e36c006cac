package dev.nitroemu.kms.internal;

import dev.nitroemu.kms.AuditEvent;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One audit log's canonical copies of short strings that repeat from call to call (principal ARNs,
 * user agents, addresses, key ARNs, recipient blocks, often whole parameter sets), so that the events
 * the log retains share them instead of each holding its own. Bounded in entries and entry length;
 * thread-safe.
 */
public final class StringPool {
  /** Longer strings are kept as they are. */
  public static final int MAX_LENGTH = 1024;

  private final ConcurrentHashMap<String, String> shared = new ConcurrentHashMap<>();
  private final int maxEntries;

  /** A pool of at most {@code maxEntries} strings. */
  public StringPool(int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive, got " + maxEntries);
    }
    this.maxEntries = maxEntries;
  }

  /** The pooled copy of {@code value} (itself when new, too long or null). */
  public String share(String value) {
    if (value == null || value.length() > MAX_LENGTH) {
      return value;
    }
    if (shared.size() >= maxEntries) {
      // Dropping everything keeps the pool bounded; later values are pooled afresh.
      shared.clear();
    }
    String existing = shared.putIfAbsent(value, value);
    return existing == null ? value : existing;
  }

  /** How many strings the pool holds now (at most the bound given at construction). */
  public int size() {
    return shared.size();
  }

  /** An event equal to {@code event} whose repeating strings are this pool's copies. */
  public AuditEvent shareStrings(AuditEvent event) {
    AuditEvent.UserIdentity identity = event.userIdentity();
    return new AuditEvent(share(event.eventVersion()),
        new AuditEvent.UserIdentity(share(identity.type()), share(identity.principalId()), share(identity.arn()),
            share(identity.accountId()), share(identity.accessKeyId())),
        event.eventTime(), share(event.eventName()), share(event.awsRegion()), share(event.sourceIpAddress()),
        share(event.userAgent()), share(event.errorCode()), event.errorMessage(),
        share(event.requestParametersJson()), share(event.responseElementsJson()),
        share(event.additionalEventDataJson()), event.requestId(), event.eventId(), event.readOnly(),
        event.resources().stream().map(this::share).toList(), share(event.recipientAccountId()));
  }
}

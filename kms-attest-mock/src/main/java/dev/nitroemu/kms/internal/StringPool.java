package dev.nitroemu.kms.internal;

import dev.nitroemu.kms.AuditEvent;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One audit log's canonical copies of the immutable values that repeat from call to call (principal
 * ARNs, user agents, addresses, key ARNs, recipient blocks, often whole parameter sets, identities
 * and resource lists), so that the events the log retains share them instead of each holding its
 * own. Bounded in entries and string length; thread-safe.
 */
public final class StringPool {
  /** Longer strings are kept as they are. */
  public static final int MAX_LENGTH = 1024;

  private final ConcurrentHashMap<Object, Object> shared = new ConcurrentHashMap<>();
  private final int maxEntries;

  /** A pool of at most {@code maxEntries} values. */
  public StringPool(int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive, was " + maxEntries);
    }
    this.maxEntries = maxEntries;
  }

  /**
   * The pooled copy of {@code value} (itself when new, null, or a string over {@value #MAX_LENGTH}
   * characters); {@code value} must be immutable with value equality, e.g. a String or a record.
   */
  @SuppressWarnings("unchecked")
  public <T> T share(T value) {
    if (value == null || value instanceof String text && text.length() > MAX_LENGTH) {
      return value;
    }
    if (shared.size() >= maxEntries) {
      // Dropping everything keeps the pool bounded; later values are pooled afresh.
      shared.clear();
    }
    Object existing = shared.putIfAbsent(value, value);
    return existing == null ? value : (T) existing;
  }

  /** How many values the pool holds now (at most the bound given at construction). */
  public int size() {
    return shared.size();
  }

  /** An event equal to {@code event} whose repeating parts are this pool's copies. */
  public AuditEvent shareRepeatedParts(AuditEvent event) {
    AuditEvent.UserIdentity identity = event.userIdentity();
    List<String> resources = event.resources();
    // Pooled copies equal the event's (canonical) JSON: the new event need not parse them again.
    String requestParameters = share(event.requestParametersJson());
    String responseElements = share(event.responseElementsJson());
    String additionalEventData = share(event.additionalEventDataJson());
    AuditEventJson.markCanonical(requestParameters);
    AuditEventJson.markCanonical(responseElements);
    AuditEventJson.markCanonical(additionalEventData);
    return new AuditEvent(
        share(event.eventVersion()),
        share(
            new AuditEvent.UserIdentity(
                share(identity.type()),
                share(identity.principalId()),
                share(identity.arn()),
                share(identity.accountId()),
                share(identity.accessKeyId()))),
        event.eventTime(),
        share(event.eventName()),
        share(event.awsRegion()),
        share(event.sourceIpAddress()),
        share(event.userAgent()),
        share(event.errorCode()),
        event.errorMessage(),
        requestParameters,
        responseElements,
        additionalEventData,
        event.requestId(),
        event.eventId(),
        event.readOnly(),
        share(List.copyOf(resources.stream().map(this::share).toList())),
        share(event.recipientAccountId()));
  }
}

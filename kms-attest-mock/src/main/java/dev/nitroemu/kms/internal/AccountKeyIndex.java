package dev.nitroemu.kms.internal;

import java.util.Collections;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The key ids of each account in ListKeys order (ascending, as {@link String#compareTo} orders
 * them), kept by {@link KeyStore} as keys are added and deleted, so that a page of ListKeys costs
 * its size and a logarithm instead of a copy and sort of every key of the account. Thread-safe.
 */
final class AccountKeyIndex {
  private final ConcurrentHashMap<String, NavigableSet<String>> byAccount =
      new ConcurrentHashMap<>();

  void add(String accountId, String keyId) {
    byAccount.computeIfAbsent(accountId, a -> new ConcurrentSkipListSet<>()).add(keyId);
  }

  void remove(String accountId, String keyId) {
    NavigableSet<String> ids = byAccount.get(accountId);
    if (ids != null) {
      ids.remove(keyId);
    }
  }

  /**
   * The account's key ids after {@code after} (exclusive; from the first when null), in order; a
   * live view, weakly consistent under concurrent changes.
   */
  NavigableSet<String> idsAfter(String accountId, String after) {
    NavigableSet<String> ids = byAccount.get(accountId);
    if (ids == null) {
      return Collections.emptyNavigableSet();
    }
    return after == null ? ids : ids.tailSet(after, false);
  }
}

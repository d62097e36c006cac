package dev.nitroemu.kms.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The key ids of each account in ListKeys order (ascending, as {@link String#compareTo} orders
 * them), kept by {@link KeyStore} as keys are added and deleted, so that a page of ListKeys costs
 * its size and a logarithm instead of a copy and sort of every key of the account. Thread-safe.
 */
final class AccountKeyIndex {
  private final ConcurrentHashMap<String, ConcurrentSkipListMap<String, Boolean>> byAccount =
      new ConcurrentHashMap<>();

  /**
   * Indexes the keys a store opened with, before any other change: sorted first, then built in one
   * pass (at 100,000 keys, one skip-list insertion per key was a tenth of a cold restart).
   */
  void addAll(Collection<KmsKey> keys) {
    Map<String, List<String>> idsByAccount = new HashMap<>();
    for (KmsKey key : keys) {
      idsByAccount.computeIfAbsent(key.accountId(), a -> new ArrayList<>()).add(key.keyId());
    }
    idsByAccount.forEach(
        (account, ids) -> {
          ids.sort(null);
          TreeMap<String, Boolean> sorted = new TreeMap<>();
          ids.forEach(id -> sorted.put(id, Boolean.TRUE));
          ConcurrentSkipListMap<String, Boolean> index = new ConcurrentSkipListMap<>(sorted);
          ConcurrentSkipListMap<String, Boolean> existing = byAccount.putIfAbsent(account, index);
          if (existing != null) {
            existing.putAll(index);
          }
        });
  }

  void add(String accountId, String keyId) {
    byAccount.computeIfAbsent(accountId, a -> new ConcurrentSkipListMap<>()).put(keyId, true);
  }

  void remove(String accountId, String keyId) {
    ConcurrentSkipListMap<String, Boolean> ids = byAccount.get(accountId);
    if (ids != null) {
      ids.remove(keyId);
    }
  }

  /**
   * The account's key ids after {@code after} (exclusive; from the first when null), in order; a
   * live view, weakly consistent under concurrent changes.
   */
  NavigableSet<String> idsAfter(String accountId, String after) {
    ConcurrentSkipListMap<String, Boolean> ids = byAccount.get(accountId);
    if (ids == null) {
      return Collections.emptyNavigableSet();
    }
    return after == null ? ids.keySet() : ids.keySet().tailSet(after, false);
  }
}

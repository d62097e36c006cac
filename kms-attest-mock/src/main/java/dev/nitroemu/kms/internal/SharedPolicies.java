package dev.nitroemu.kms.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parsed key policies by their text, shared by the keys loaded with the same policy (most keys of
 * an account have the default one): at 100,000 keys a parse per key was 11 % of the restart and a
 * copy per key about half the heap. Bounded to {@value #MAX_SHARED_POLICIES} texts; {@link
 * KeyPolicy} is immutable, so sharing one is safe.
 */
final class SharedPolicies {
  private static final int MAX_SHARED_POLICIES = 1024;
  private static final Map<String, KeyPolicy> POLICIES = new ConcurrentHashMap<>();

  private SharedPolicies() {}

  /**
   * The policy of {@code json}, parsed once for all keys with that text.
   *
   * @throws IllegalArgumentException if the policy is malformed
   */
  static KeyPolicy parse(String json) {
    KeyPolicy shared = POLICIES.get(json);
    if (shared != null) {
      return shared;
    }
    KeyPolicy parsed;
    try {
      parsed = KeyPolicy.parse(json);
    } catch (KmsError e) {
      throw new IllegalArgumentException("the key policy is malformed: " + e.getMessage());
    }
    if (POLICIES.size() >= MAX_SHARED_POLICIES) {
      POLICIES.clear();
    }
    KeyPolicy raced = POLICIES.putIfAbsent(json, parsed);
    return raced != null ? raced : parsed;
  }
}

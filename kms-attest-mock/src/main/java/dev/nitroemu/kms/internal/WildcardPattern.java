package dev.nitroemu.kms.internal;

/**
 * IAM-style wildcard matching: {@code *} matches any run of characters (also none), {@code ?}
 * exactly one; every other character matches itself.
 */
public final class WildcardPattern {
  private WildcardPattern() {}

  /**
   * Whether {@code value} matches {@code pattern}.
   *
   * @param ignoreCase compare characters case-insensitively (IAM actions), or exactly (ARNs,
   *     strings)
   */
  public static boolean matches(String pattern, String value, boolean ignoreCase) {
    // Greedy two-pointer match with backtracking to the last '*': O(pattern * value) at worst,
    // no recursion, so hostile patterns cannot exhaust the stack.
    int p = 0;
    int v = 0;
    int star = -1;
    int resume = 0;
    while (v < value.length()) {
      if (p < pattern.length() && pattern.charAt(p) == '*') {
        star = p++;
        resume = v;
      } else if (p < pattern.length()
          && (pattern.charAt(p) == '?' || same(pattern.charAt(p), value.charAt(v), ignoreCase))) {
        p++;
        v++;
      } else if (star >= 0) {
        p = star + 1;
        v = ++resume;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }

  /** Whether the text contains a wildcard character. */
  public static boolean hasWildcard(String text) {
    return text.indexOf('*') >= 0 || text.indexOf('?') >= 0;
  }

  private static boolean same(char a, char b, boolean ignoreCase) {
    if (a == b) {
      return true;
    }
    return ignoreCase
        && (Character.toLowerCase(a) == Character.toLowerCase(b)
            || Character.toUpperCase(a) == Character.toUpperCase(b));
  }
}

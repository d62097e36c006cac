package dev.nitroemu.kms.internal;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The IAM condition operators without their {@code IfExists} suffix or {@code ForAnyValue:} /
 * {@code ForAllValues:} qualifier: how one request value compares with one policy value.
 *
 * <p>A negated operator ({@code StringNotEquals}, {@code NotIpAddress}, ...) holds for a request
 * value when the positive comparison holds for none of the policy values. {@link #NULL} tests the
 * presence of a key and is evaluated by {@link PolicyCondition}, not here.
 */
public enum ConditionOperator {
  STRING_EQUALS("StringEquals", false, String::equals, v -> true),
  STRING_NOT_EQUALS("StringNotEquals", true, String::equals, v -> true),
  STRING_EQUALS_IGNORE_CASE("StringEqualsIgnoreCase", false, String::equalsIgnoreCase, v -> true),
  STRING_NOT_EQUALS_IGNORE_CASE(
      "StringNotEqualsIgnoreCase", true, String::equalsIgnoreCase, v -> true),
  STRING_LIKE("StringLike", false, (r, p) -> WildcardPattern.matches(p, r, false), v -> true),
  STRING_NOT_LIKE("StringNotLike", true, (r, p) -> WildcardPattern.matches(p, r, false), v -> true),
  NUMERIC_EQUALS("NumericEquals", false, numeric(c -> c == 0), ConditionOperator::isNumber),
  NUMERIC_NOT_EQUALS("NumericNotEquals", true, numeric(c -> c == 0), ConditionOperator::isNumber),
  NUMERIC_LESS_THAN("NumericLessThan", false, numeric(c -> c < 0), ConditionOperator::isNumber),
  NUMERIC_LESS_THAN_EQUALS(
      "NumericLessThanEquals", false, numeric(c -> c <= 0), ConditionOperator::isNumber),
  NUMERIC_GREATER_THAN(
      "NumericGreaterThan", false, numeric(c -> c > 0), ConditionOperator::isNumber),
  NUMERIC_GREATER_THAN_EQUALS(
      "NumericGreaterThanEquals", false, numeric(c -> c >= 0), ConditionOperator::isNumber),
  DATE_EQUALS("DateEquals", false, date(c -> c == 0), ConditionOperator::isDate),
  DATE_NOT_EQUALS("DateNotEquals", true, date(c -> c == 0), ConditionOperator::isDate),
  DATE_LESS_THAN("DateLessThan", false, date(c -> c < 0), ConditionOperator::isDate),
  DATE_LESS_THAN_EQUALS("DateLessThanEquals", false, date(c -> c <= 0), ConditionOperator::isDate),
  DATE_GREATER_THAN("DateGreaterThan", false, date(c -> c > 0), ConditionOperator::isDate),
  DATE_GREATER_THAN_EQUALS(
      "DateGreaterThanEquals", false, date(c -> c >= 0), ConditionOperator::isDate),
  BOOL("Bool", false, String::equalsIgnoreCase, ConditionOperator::isBoolean),
  BINARY_EQUALS("BinaryEquals", false, ConditionOperator::sameBytes, ConditionOperator::isBase64),
  IP_ADDRESS("IpAddress", false, ConditionOperator::inRange, ConditionOperator::isIpRange),
  NOT_IP_ADDRESS("NotIpAddress", true, ConditionOperator::inRange, ConditionOperator::isIpRange),
  // IAM documents ArnEquals and ArnLike as behaving identically (segment-wise wildcards).
  ARN_EQUALS("ArnEquals", false, ConditionOperator::arnLike, v -> true),
  ARN_LIKE("ArnLike", false, ConditionOperator::arnLike, v -> true),
  ARN_NOT_EQUALS("ArnNotEquals", true, ConditionOperator::arnLike, v -> true),
  ARN_NOT_LIKE("ArnNotLike", true, ConditionOperator::arnLike, v -> true),
  NULL("Null", false, (r, p) -> false, ConditionOperator::isBoolean);

  private static final Map<String, ConditionOperator> BY_LOWER_NAME;
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(\\d{1,40}(\\.\\d{0,40})?|\\.\\d{1,40})");

  static {
    HashMap<String, ConditionOperator> byName = new HashMap<>();
    for (ConditionOperator operator : values()) {
      byName.put(operator.policyName.toLowerCase(Locale.ROOT), operator);
    }
    BY_LOWER_NAME = Map.copyOf(byName);
  }

  private final String policyName;
  private final boolean negated;
  private final BiPredicate<String, String> positive;
  private final Predicate<String> validValue;

  ConditionOperator(
      String policyName,
      boolean negated,
      BiPredicate<String, String> positive,
      Predicate<String> validValue) {
    this.policyName = policyName;
    this.negated = negated;
    this.positive = positive;
    this.validValue = validValue;
  }

  /** The operator by its policy name ({@code StringEquals}), ignoring case; empty when unknown. */
  public static Optional<ConditionOperator> byPolicyName(String name) {
    return Optional.ofNullable(BY_LOWER_NAME.get(name.toLowerCase(Locale.ROOT)));
  }

  /** The name used in policies, e.g. {@code StringEqualsIgnoreCase}. */
  public String policyName() {
    return policyName;
  }

  /** Whether this is a negated operator, which holds when no policy value matches. */
  public boolean negated() {
    return negated;
  }

  /**
   * Whether a policy value is acceptable for this operator (numbers, dates, booleans, CIDRs,
   * base64).
   */
  public boolean isValidPolicyValue(String policyValue) {
    return validValue.test(policyValue);
  }

  /**
   * Whether one request value satisfies this operator against the policy's values: for positive
   * operators some value matches, for negated operators none does.
   */
  public boolean test(String requestValue, List<String> policyValues) {
    boolean anyMatch = false;
    for (String policyValue : policyValues) {
      if (positive.test(requestValue, policyValue)) {
        anyMatch = true;
        break;
      }
    }
    return negated != anyMatch;
  }

  private static BiPredicate<String, String> numeric(IntPredicate outcome) {
    return (request, policy) -> {
      BigDecimal left = parseNumber(request);
      BigDecimal right = parseNumber(policy);
      return left != null && right != null && outcome.test(left.compareTo(right));
    };
  }

  private static BiPredicate<String, String> date(IntPredicate outcome) {
    return (request, policy) -> {
      Instant left = parseDate(request);
      Instant right = parseDate(policy);
      return left != null && right != null && outcome.test(left.compareTo(right));
    };
  }

  private static boolean isNumber(String text) {
    return parseNumber(text) != null;
  }

  private static BigDecimal parseNumber(String text) {
    String trimmed = text.trim();
    return NUMBER.matcher(trimmed).matches() ? new BigDecimal(trimmed) : null;
  }

  private static boolean isDate(String text) {
    return parseDate(text) != null;
  }

  /** ISO-8601 date-time with offset, a plain date (midnight UTC), or epoch seconds. */
  static Instant parseDate(String text) {
    String trimmed = text.trim();
    BigDecimal seconds = parseNumber(trimmed);
    if (seconds != null) {
      try {
        return Instant.ofEpochSecond(seconds.longValueExact());
      } catch (ArithmeticException | java.time.DateTimeException e) {
        return null;
      }
    }
    try {
      return OffsetDateTime.parse(trimmed).toInstant();
    } catch (DateTimeParseException notDateTime) {
      try {
        return LocalDate.parse(trimmed).atStartOfDay(ZoneOffset.UTC).toInstant();
      } catch (DateTimeParseException notDate) {
        return null;
      }
    }
  }

  private static boolean isBoolean(String text) {
    return "true".equalsIgnoreCase(text) || "false".equalsIgnoreCase(text);
  }

  private static boolean isBase64(String text) {
    return decodeBase64(text) != null;
  }

  private static byte[] decodeBase64(String text) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean sameBytes(String request, String policy) {
    byte[] left = decodeBase64(request);
    byte[] right = decodeBase64(policy);
    return left != null && right != null && Arrays.equals(left, right);
  }

  private static boolean isIpRange(String text) {
    return parseRange(text) != null;
  }

  private static boolean inRange(String request, String policy) {
    byte[] address = parseLiteral(request.trim());
    Object[] range = parseRange(policy);
    if (address == null || range == null) {
      return false;
    }
    byte[] network = (byte[]) range[0];
    int prefix = (Integer) range[1];
    if (network.length != address.length) {
      return false;
    }
    for (int bit = 0; bit < prefix; bit++) {
      int mask = 0x80 >>> (bit % 8);
      if ((network[bit / 8] & mask) != (address[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /**
   * {network bytes, prefix length} for {@code 203.0.113.0/24}, {@code 2001:db8::/32} or a bare
   * address.
   */
  private static Object[] parseRange(String text) {
    String trimmed = text.trim();
    int slash = trimmed.indexOf('/');
    byte[] network = parseLiteral(slash < 0 ? trimmed : trimmed.substring(0, slash));
    if (network == null) {
      return null;
    }
    int prefix = network.length * 8;
    if (slash >= 0) {
      String bits = trimmed.substring(slash + 1);
      if (!bits.matches("\\d{1,3}") || Integer.parseInt(bits) > prefix) {
        return null;
      }
      prefix = Integer.parseInt(bits);
    }
    return new Object[] {network, prefix};
  }

  /** Parses an IP literal without ever resolving a host name. */
  private static byte[] parseLiteral(String text) {
    boolean v4 = IPV4.matcher(text).matches();
    boolean v6 = !v4 && text.indexOf(':') >= 0 && text.matches("[0-9A-Fa-f:.]{2,45}");
    if (!v4 && !v6) {
      return null;
    }
    if (v4) {
      for (String octet : text.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          return null;
        }
      }
    }
    try {
      return InetAddress.getByName(text).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static boolean arnLike(String request, String policy) {
    String[] requestParts = request.split(":", 6);
    String[] policyParts = policy.split(":", 6);
    if (policyParts.length != 6) {
      // Not an ARN pattern (e.g. "*"): a plain wildcard match over the whole value.
      return WildcardPattern.matches(policy, request, false);
    }
    if (requestParts.length != 6) {
      return false;
    }
    for (int i = 0; i < 6; i++) {
      if (!WildcardPattern.matches(policyParts[i], requestParts[i], false)) {
        return false;
      }
    }
    return true;
  }
}

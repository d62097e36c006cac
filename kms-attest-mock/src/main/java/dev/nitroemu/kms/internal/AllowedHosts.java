package dev.nitroemu.kms.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code Host} header values the KMS endpoint answers to. Checked before anything else happens
 * to a request, this is the defence against DNS rebinding: a web page in the developer's browser
 * that resolves its own domain name to 127.0.0.1 reaches the mock with that domain in {@code Host},
 * and is refused, even though it could sign with the public default credentials.
 *
 * <p>Accepted, with any port or none, names ignoring case and one trailing dot:
 *
 * <ul>
 *   <li>loopback literals: IPv4 {@code 127.0.0.0/8} in dotted-quad form, and the IPv6 loopback in
 *       brackets ({@code [::1]}, {@code [0:0:0:0:0:0:0:1]}, {@code [::ffff:127.0.0.1]});
 *   <li>{@code localhost};
 *   <li>{@code kms.<region>.<suffix>} and {@code kms-fips.<region>.<suffix>} for the server's
 *       region, the suffix being {@code amazonaws.com}, or {@code amazonaws.com.cn} for {@code cn-}
 *       regions (what the Nitro Enclaves SDK and the AWS SDKs send when they talk to the real
 *       endpoint through a proxy);
 *   <li>extra names the server was configured with (host names or IP literals).
 * </ul>
 *
 * Anything else, a missing {@code Host}, or several, is refused with HTTP 421 (Misdirected Request)
 * and {@code InvalidHostHeaderException}. That error is the mock's own: real KMS has no equivalent,
 * since its endpoint is reached only under its own name. Thread-safe and immutable.
 */
public final class AllowedHosts {
  /** The error type of a refused {@code Host}. */
  public static final String ERROR_TYPE = "InvalidHostHeaderException";

  /** The HTTP status of a refused {@code Host}: 421 Misdirected Request. */
  public static final int ERROR_STATUS = 421;

  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern HOST_NAME =
      Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*");
  private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9a-f:.]+");
  private static final Pattern PORT = Pattern.compile("\\d{1,5}");
  private static final int MAX_NAME = 253;

  private final Set<String> names;
  private final String description;

  /**
   * The hosts for a server in {@code region}, plus {@code extraNames}.
   *
   * @throws IllegalArgumentException if an extra name is not a host name or IP literal (see {@link
   *     #normalize})
   */
  public AllowedHosts(String region, Collection<String> extraNames) {
    this(List.of(Objects.requireNonNull(region, "region")), extraNames);
  }

  /**
   * The hosts for a server of several regions (each {@code kms.<region>.<suffix>}), plus {@code
   * extraNames}.
   */
  public AllowedHosts(List<String> regions, Collection<String> extraNames) {
    Set<String> all = new LinkedHashSet<>();
    all.add("localhost");
    for (String region : regions) {
      String suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
      all.add("kms." + region + "." + suffix);
      all.add("kms-fips." + region + "." + suffix);
    }
    for (String extra : extraNames) {
      all.add(normalize(extra));
    }
    this.names = Set.copyOf(all);
    List<String> listed = new ArrayList<>(all);
    listed.add(0, "loopback addresses");
    this.description = String.join(", ", listed);
  }

  /**
   * The hosts of a server in {@code region} bound to {@code bound}: the defaults, {@code
   * extraNames}, and the bound address itself when it is a specific, non-loopback one (clients
   * given that address as their endpoint send it as {@code Host}).
   */
  public static AllowedHosts forServer(
      String region, Collection<String> extraNames, InetAddress bound) {
    return forServer(List.of(region), extraNames, bound);
  }

  /** The same for a server of several regions. */
  public static AllowedHosts forServer(
      List<String> regions, Collection<String> extraNames, InetAddress bound) {
    List<String> names = new ArrayList<>(extraNames);
    if (!bound.isAnyLocalAddress() && !bound.isLoopbackAddress()) {
      try {
        names.add(normalize(bound.getHostAddress()));
      } catch (IllegalArgumentException scopedAddress) {
        // A link-local IPv6 address with a scope id never appears in a Host header as such.
      }
    }
    return new AllowedHosts(regions, names);
  }

  /**
   * A configured extra name in the form it is compared in: lower case, without a trailing dot, an
   * IPv6 literal without brackets and in Java's full form.
   *
   * @throws IllegalArgumentException if {@code name} is not a host name, an IPv4 literal or an IPv6
   *     literal (a port, a wildcard or a URL is refused: every port of an accepted name is
   *     accepted)
   */
  public static String normalize(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("an allowed KMS host name must not be empty");
    }
    String text = name.strip().toLowerCase(Locale.ROOT);
    if (text.startsWith("[") && text.endsWith("]")) {
      text = text.substring(1, text.length() - 1);
    }
    String host = text.contains(":") ? ipv6(text) : stripDot(text);
    if (host == null
        || (!text.contains(":") && !HOST_NAME.matcher(host).matches())
        || host.length() > MAX_NAME) {
      throw new IllegalArgumentException(
          "not a host name or IP address: '"
              + SigV4Verifier.echo(name)
              + "' (give a name such as host.docker.internal, without port or wildcard)");
    }
    return host;
  }

  /**
   * Refuses the request unless it carries exactly one {@code Host} header naming an accepted host.
   *
   * @param headers the request headers; names in any case
   * @throws KmsError {@code InvalidHostHeaderException} (HTTP 421) otherwise
   */
  public void check(Map<String, List<String>> headers) {
    List<String> values = new ArrayList<>();
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      if (header.getKey().equalsIgnoreCase("host")) {
        values.addAll(header.getValue());
      }
    }
    if (values.size() != 1) {
      throw refused(
          values.isEmpty()
              ? "The request has no Host header."
              : "The request has " + values.size() + " Host headers; send exactly one.");
    }
    String host = values.get(0).strip();
    if (!accepts(host)) {
      throw refused("Host '" + SigV4Verifier.echo(host) + "' is not a name of this KMS endpoint.");
    }
  }

  /**
   * Whether a {@code Host} header value ({@code name}, {@code name:port}, {@code [v6]:port}) is
   * accepted.
   */
  public boolean accepts(String hostHeader) {
    String text = hostHeader.toLowerCase(Locale.ROOT);
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        return false;
      }
      host = ipv6(text.substring(1, close));
      port = text.substring(close + 1);
      if (!port.isEmpty() && !port.startsWith(":")) {
        return false;
      }
      port = port.isEmpty() ? null : port.substring(1);
    } else {
      int colon = text.indexOf(':');
      if (colon != text.lastIndexOf(':')) {
        return false;
      }
      host = stripDot(colon < 0 ? text : text.substring(0, colon));
      port = colon < 0 ? null : text.substring(colon + 1);
    }
    if (host == null || (port != null && !PORT.matcher(port).matches())) {
      return false;
    }
    return isLoopbackLiteral(host) || names.contains(host);
  }

  private KmsError refused(String reason) {
    return new KmsError(
        ERROR_TYPE,
        reason
            + " It answers to "
            + description
            + " (with any port); add names with"
            + " KmsMockServer.Builder.allowedHost or nitro-emu start --kms-host. This check defends against DNS"
            + " rebinding.",
        ERROR_STATUS);
  }

  private static boolean isLoopbackLiteral(String host) {
    Matcher ipv4 = IPV4.matcher(host);
    if (ipv4.matches()) {
      for (int group = 1; group <= 4; group++) {
        if (Integer.parseInt(ipv4.group(group)) > 255) {
          return false;
        }
      }
      return Integer.parseInt(ipv4.group(1)) == 127;
    }
    if (host.contains(":")) {
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /**
   * An IPv6 literal in Java's full form, or null when {@code text} is not one (never a DNS lookup).
   */
  private static String ipv6(String text) {
    if (!text.contains(":") || !IPV6_LITERAL.matcher(text).matches()) {
      return null;
    }
    try {
      return InetAddress.getByName(text).getHostAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static String stripDot(String name) {
    String host = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    return host.isEmpty() ? null : host;
  }

  @Override
  public String toString() {
    return "AllowedHosts[" + description + "]";
  }
}

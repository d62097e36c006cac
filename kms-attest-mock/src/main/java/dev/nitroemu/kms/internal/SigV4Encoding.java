package dev.nitroemu.kms.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/** The SigV4 canonical forms of a request's path, query and header values. */
final class SigV4Encoding {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private SigV4Encoding() {}

  /**
   * The canonical URI of a request path as sent on the wire (already percent-encoded): repeated
   * slashes collapsed, dot segments removed, then every byte but unreserved characters and {@code
   * /} percent-encoded again, as the AWS SDKs do for every service but S3.
   */
  static String canonicalPath(String rawPath) {
    if (rawPath.isEmpty()) {
      return "/";
    }
    boolean trailingSlash = rawPath.endsWith("/");
    Deque<String> segments = new ArrayDeque<>();
    for (String segment : rawPath.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        segments.pollLast();
      } else {
        segments.addLast(segment);
      }
    }
    StringBuilder out = new StringBuilder(rawPath.length() + 8);
    for (String segment : segments) {
      out.append('/').append(encode(segment));
    }
    if (segments.isEmpty() || trailingSlash) {
      out.append('/');
    }
    return out.toString();
  }

  /** The canonical query string: parameters decoded, re-encoded, sorted by name then value. */
  static String canonicalQuery(String rawQuery) {
    if (rawQuery.isEmpty()) {
      return "";
    }
    List<String[]> pairs = new ArrayList<>();
    for (String parameter : rawQuery.split("&", -1)) {
      if (parameter.isEmpty()) {
        continue;
      }
      int equals = parameter.indexOf('=');
      String name = equals < 0 ? parameter : parameter.substring(0, equals);
      String value = equals < 0 ? "" : parameter.substring(equals + 1);
      pairs.add(new String[] {encode(decode(name)), encode(decode(value))});
    }
    pairs.sort(Comparator.<String[], String>comparing(p -> p[0]).thenComparing(p -> p[1]));
    StringBuilder out = new StringBuilder(rawQuery.length() + 8);
    for (String[] pair : pairs) {
      if (out.length() > 0) {
        out.append('&');
      }
      out.append(pair[0]).append('=').append(pair[1]);
    }
    return out.toString();
  }

  /** A header value trimmed, with each run of white space replaced by one space. */
  static String trimAll(String value) {
    StringBuilder out = new StringBuilder(value.length());
    boolean pendingSpace = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        pendingSpace = out.length() > 0;
      } else {
        if (pendingSpace) {
          out.append(' ');
          pendingSpace = false;
        }
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * RFC 3986 percent-encoding of the UTF-8 bytes of {@code text}, leaving only unreserved
   * characters.
   */
  static String encode(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return out.toString();
  }

  /** Decodes {@code %XX} escapes (a malformed escape stays as it is); {@code +} is not a space. */
  static String decode(String text) {
    if (text.indexOf('%') < 0) {
      return text;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
    int i = 0;
    while (i < text.length()) {
      int hi =
          i + 2 < text.length() && text.charAt(i) == '%'
              ? Character.digit(text.charAt(i + 1), 16)
              : -1;
      int lo = hi >= 0 ? Character.digit(text.charAt(i + 2), 16) : -1;
      if (lo >= 0) {
        bytes.write((hi << 4) | lo);
        i += 3;
      } else {
        int codePoint = text.codePointAt(i);
        byte[] encoded = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
        bytes.write(encoded, 0, encoded.length);
        i += Character.charCount(codePoint);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}

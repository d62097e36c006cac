package dev.nitroemu.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes given on the command line: bytes, or a number with {@code k}, {@code m} or {@code g}
 * (binary: KiB, MiB, GiB; {@code 64m}, {@code 64MiB} and {@code 64MB} are all 64 MiB).
 */
final class ByteSize {
  private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*(?:([kmg])(?:i?b)?|b)?");

  private ByteSize() {}

  /**
   * Parses {@code text} as a size for {@code option}.
   *
   * @throws CliFailure (exit 2) naming the option if the text is not a size
   */
  static long parse(String text, String option) {
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new CliFailure(
          option + ": not a size (bytes, or a number with k, m or g, e.g. 64m): '" + text + "'", 2);
    }
    long number = Long.parseLong(m.group(1));
    int shift =
        m.group(2) == null
            ? 0
            : switch (m.group(2)) {
              case "k" -> 10;
              case "m" -> 20;
              default -> 30;
            };
    if (number > (Long.MAX_VALUE >> shift)) {
      throw new CliFailure(option + ": size too large: '" + text + "'", 2);
    }
    return number << shift;
  }
}

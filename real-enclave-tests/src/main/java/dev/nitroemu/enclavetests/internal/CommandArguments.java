package dev.nitroemu.enclavetests.internal;

import dev.nitroemu.enclave.Ports;
import dev.nitroemu.enclave.VsockAddress;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code --name value} / {@code --name=value} arguments of the runner and the collector
 * commands; options may repeat, unknown ones are errors.
 */
public final class CommandArguments {

  private final Map<String, List<String>> values = new LinkedHashMap<>();
  private final Set<String> flags;

  private CommandArguments(Set<String> flags) {
    this.flags = flags;
  }

  /**
   * Parses {@code args}.
   *
   * @param options names (without {@code --}) that take a value
   * @param flags names that take none
   * @throws UsageException naming the bad argument
   */
  public static CommandArguments parse(List<String> args, Set<String> options, Set<String> flags)
      throws UsageException {
    CommandArguments arguments = new CommandArguments(flags);
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      String name = arg.substring(2);
      String value = null;
      int equals = name.indexOf('=');
      if (equals >= 0) {
        value = name.substring(equals + 1);
        name = name.substring(0, equals);
      }
      if (flags.contains(name)) {
        if (value != null) {
          throw new UsageException("--" + name + " takes no value");
        }
        arguments.values.computeIfAbsent(name, n -> new ArrayList<>()).add("true");
        continue;
      }
      if (!options.contains(name)) {
        throw new UsageException("unknown option --" + name);
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new UsageException("--" + name + " needs a value");
        }
        value = args.get(++i);
      }
      arguments.values.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    return arguments;
  }

  /** Whether a flag was given. */
  public boolean flag(String name) {
    if (!flags.contains(name)) {
      throw new IllegalArgumentException(name + " is not a flag");
    }
    return values.containsKey(name);
  }

  /** Every value of a repeatable option, in order. */
  public List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  /** The single value of an option, or null. */
  public String one(String name) throws UsageException {
    List<String> given = all(name);
    if (given.size() > 1) {
      throw new UsageException("--" + name + " may be given once");
    }
    return given.isEmpty() ? null : given.get(0);
  }

  /** An option's integer value within bounds, or the default. */
  public int integer(String name, int fallback, int min, int max) throws UsageException {
    String text = one(name);
    if (text == null) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(text.trim());
      if (value < min || value > max) {
        throw new UsageException(
            "--" + name + " must be in " + min + ".." + max + ", was " + value);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a number, was '" + text + "'");
    }
  }

  /** An option's vsock port, {@code 1..4294967294} ({@link Ports#vsockService}), or the default. */
  public long vsockPort(String name, long fallback) throws UsageException {
    String text = one(name);
    if (text == null) {
      return fallback;
    }
    try {
      return Ports.vsockService(Ports.parse(text.trim(), "--" + name), "--" + name);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /**
   * An option's vsock CID, {@code 0..4294967295} ({@link VsockAddress#parseCid}), or the default.
   */
  public long vsockCid(String name, long fallback) throws UsageException {
    String text = one(name);
    if (text == null) {
      return fallback;
    }
    try {
      return VsockAddress.parseCid(text, "--" + name);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /**
   * An option's duration ({@code 90s}, {@code 30m}, {@code 2h}, plain seconds, or ISO-8601 {@code
   * PT30M}).
   */
  public Duration duration(String name, Duration fallback) throws UsageException {
    String text = one(name);
    return text == null ? fallback : parseDuration("--" + name, text);
  }

  /** Parses a positive duration in the forms {@link #duration} accepts. */
  public static Duration parseDuration(String what, String text) throws UsageException {
    String trimmed = text.trim().toLowerCase(Locale.ROOT);
    Duration value;
    try {
      if (trimmed.startsWith("p")) {
        value = Duration.parse(trimmed.toUpperCase(Locale.ROOT));
      } else if (trimmed.endsWith("ms")) {
        value = Duration.ofMillis(Long.parseLong(trimmed.substring(0, trimmed.length() - 2)));
      } else if (trimmed.endsWith("s")) {
        value = Duration.ofSeconds(Long.parseLong(trimmed.substring(0, trimmed.length() - 1)));
      } else if (trimmed.endsWith("m")) {
        value = Duration.ofMinutes(Long.parseLong(trimmed.substring(0, trimmed.length() - 1)));
      } else if (trimmed.endsWith("h")) {
        value = Duration.ofHours(Long.parseLong(trimmed.substring(0, trimmed.length() - 1)));
      } else {
        value = Duration.ofSeconds(Long.parseLong(trimmed));
      }
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      throw new UsageException(
          what + " must be a duration like 90s, 30m, 2h or PT30M, was '" + text + "'");
    }
    if (value.isNegative() || value.isZero()) {
      throw new UsageException(what + " must be positive, was '" + text + "'");
    }
    return value;
  }

  /** Bad command-line usage; the command prints the message and its usage and exits with 2. */
  public static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }
}

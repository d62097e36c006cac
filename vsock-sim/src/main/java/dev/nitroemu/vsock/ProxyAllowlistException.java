package dev.nitroemu.vsock;

import java.util.Objects;

/**
 * Thrown when a {@link VsockProxy} refuses to start because of its allowlist; the message is the
 * one AWS's {@code vsock-proxy} prints, e.g. {@code Error at checking the allowlist: The given
 * address and port are not allowed}.
 */
public final class ProxyAllowlistException extends java.io.IOException {
  private static final long serialVersionUID = 1L;

  /** Why the allowlist check failed, each with AWS vsock-proxy's wording. */
  public enum Reason {
    /** The config file does not exist or cannot be opened. */
    CANNOT_OPEN("Could not open the file"),
    /** The config file cannot be read (I/O error, not UTF-8, or larger than 1 MiB). */
    CANNOT_READ("Could not read the file"),
    /** The config file is not valid YAML. */
    BAD_YAML("Bad yaml format"),
    /** The YAML has no top-level {@code allowlist} list. */
    NO_ALLOWLIST_FIELD("No allowlist field"),
    /** An entry examined before a match has no string {@code address}. */
    NO_ADDRESS_FIELD("No address field"),
    /** An entry examined before a match has no integer {@code port}. */
    BAD_PORT_FIELD("No port field or invalid type"),
    /** The destination host does not resolve. */
    DNS_LOOKUP_FAILED("DNS lookup failed!"),
    /** No entry allows the destination host and port. */
    NOT_ALLOWED("The given address and port are not allowed");

    private final String text;

    Reason(String text) {
      this.text = text;
    }

    /** AWS vsock-proxy's text for this reason. */
    public String text() {
      return text;
    }
  }

  private final Reason reason;

  public ProxyAllowlistException(Reason reason) {
    this(reason, null);
  }

  public ProxyAllowlistException(Reason reason, Throwable cause) {
    super("Error at checking the allowlist: " + reason.text(), cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the check failed. */
  public Reason reason() {
    return reason;
  }
}

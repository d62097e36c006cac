package dev.nitroemu.enclave;

import java.io.IOException;
import java.util.Objects;

/**
 * Thrown when a file is not a readable EIF; {@link #reason()} says what is wrong, the message says
 * where.
 */
public final class EifException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why an EIF was refused. */
  public enum Reason {
    /** Missing the {@code .eif} magic, or shorter than a header. */
    NOT_AN_EIF,
    /** A header version this reader does not know (it reads 2 to 4), or unknown header flags. */
    UNSUPPORTED_VERSION,
    /**
     * The section table is inconsistent: too many sections, sizes or offsets past the file, gaps,
     * overlaps.
     */
    BAD_SECTION_TABLE,
    /** A section header disagrees with the table, or names an unknown type or flags. */
    BAD_SECTION,
    /**
     * The sections are not in the order and number AWS's builder writes (kernel, cmdline,
     * ramdisks...).
     */
    BAD_LAYOUT,
    /** The file ends inside the header or a section. */
    TRUNCATED,
    /** The stored CRC-32 does not match the file. */
    BAD_CRC,
    /** The signature section cannot be decoded, or its COSE signature does not verify over PCR0. */
    BAD_SIGNATURE,
    /** The metadata section is not JSON. */
    BAD_METADATA
  }

  private final Reason reason;

  /** An EIF error with its reason and a one-line message. */
  public EifException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Which check refused the file. */
  public Reason reason() {
    return reason;
  }
}

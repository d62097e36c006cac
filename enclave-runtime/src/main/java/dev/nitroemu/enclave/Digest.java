package dev.nitroemu.enclave;

/** The PCR digest algorithms of the NSM API; real modules report {@link #SHA384}. */
public enum Digest {
  SHA256("SHA256", 32),
  SHA384("SHA384", 48),
  SHA512("SHA512", 64);

  private final String wireName;
  private final int length;

  Digest(String wireName, int length) {
    this.wireName = wireName;
    this.length = length;
  }

  /** The name on the wire and in attestation documents, e.g. {@code "SHA384"}. */
  public String wireName() {
    return wireName;
  }

  /** The size of one PCR in bytes. */
  public int length() {
    return length;
  }

  /** Looks a digest up by its wire name, or returns null. */
  public static Digest fromWireName(String name) {
    for (Digest d : values()) {
      if (d.wireName.equals(name)) {
        return d;
      }
    }
    return null;
  }
}

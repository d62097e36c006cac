package dev.nitroemu.enclave;

/**
 * A vsock socket address: a context id (CID) and a port, both 32-bit unsigned as in Linux's {@code
 * struct sockaddr_vm}.
 *
 * <p>Both numbers are {@code long}s in {@code 0..4294967295} everywhere in nitro-emu's API (the
 * value Linux prints, never a negative {@code int}), so {@link #CID_ANY} is {@code 4294967295}.
 * Build one with {@link #of(long, long)} (or {@link #anyCid(long)}, {@link #parse(String)}). The
 * text form is {@code vsock://CID:PORT} (decimal); {@link #parse(String)} also accepts the bare
 * {@code CID:PORT}. Immutable; equal when CID and port are, ordered by CID, then port.
 */
public final class VsockAddress implements Comparable<VsockAddress> {

  /** The largest CID or port: {@code 2^32 - 1}. */
  public static final long MAX_VALUE = 0xFFFF_FFFFL;

  /** {@code VMADDR_CID_ANY} (-1U): listen on every CID of this machine; never a connect target. */
  public static final long CID_ANY = MAX_VALUE;

  /** {@code VMADDR_CID_HYPERVISOR} (0): reserved for the hypervisor. */
  public static final long CID_HYPERVISOR = 0;

  /** {@code VMADDR_CID_LOCAL} (1): local loopback (Linux 5.6+ with {@code vsock_loopback}). */
  public static final long CID_LOCAL = 1;

  /** {@code VMADDR_CID_HOST} (2): the host, as a guest VM sees it. */
  public static final long CID_HOST = 2;

  /** CID 3: the parent EC2 instance as an enclave sees it; AWS's vsock-proxy listens here. */
  public static final long CID_PARENT = 3;

  /** {@code VMADDR_PORT_ANY} (-1U): let the transport pick a free port when listening. */
  public static final long PORT_ANY = MAX_VALUE;

  private static final String SCHEME = "vsock://";

  private final long cid;
  private final long port;

  private VsockAddress(long cid, long port) {
    this.cid = cid;
    this.port = port;
  }

  /**
   * The address {@code cid:port}.
   *
   * @throws IllegalArgumentException if either value is outside {@code 0..4294967295}
   */
  public static VsockAddress of(long cid, long port) {
    return new VsockAddress(checkCid(cid), Ports.vsock(port, "vsock port"));
  }

  /**
   * The address listening on {@code port} on every CID ({@link #CID_ANY}).
   *
   * @throws IllegalArgumentException if the port is outside {@code 0..4294967295}
   */
  public static VsockAddress anyCid(long port) {
    return of(CID_ANY, port);
  }

  /**
   * Parses {@code vsock://CID:PORT} or {@code CID:PORT}, both numbers unsigned decimal.
   *
   * @throws IllegalArgumentException with a message naming the problem if the text is malformed
   */
  public static VsockAddress parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("vsock address is null");
    }
    int schemeEnd = text.indexOf("://");
    if (schemeEnd >= 0 && !text.startsWith(SCHEME)) {
      throw new IllegalArgumentException(
          "vsock address must use the vsock:// scheme, was '" + text + "'");
    }
    String rest = text.startsWith(SCHEME) ? text.substring(SCHEME.length()) : text;
    int colon = rest.indexOf(':');
    if (colon < 0 || rest.indexOf(':', colon + 1) >= 0) {
      throw new IllegalArgumentException(
          "vsock address must look like vsock://CID:PORT or CID:PORT, was '" + text + "'");
    }
    try {
      return of(
          Ports.parse(rest.substring(0, colon), "vsock cid"),
          Ports.parse(rest.substring(colon + 1), "vsock port"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + " in '" + text + "'", e);
    }
  }

  /**
   * Parses a CID written as unsigned decimal digits, as a setting or a command line gives it (ports
   * go through {@link Ports}).
   *
   * @param what names the value in the message, e.g. {@code "--enclave-cid"}
   * @throws IllegalArgumentException naming {@code what} if the text is not a CID in {@code
   *     0..4294967295}
   */
  public static long parseCid(String text, String what) {
    long cid = Ports.parse(text == null ? null : text.trim(), what);
    if (cid > MAX_VALUE) {
      throw new IllegalArgumentException(what + " must be in 0..4294967295, was " + cid);
    }
    return cid;
  }

  /** The context id, in {@code 0..4294967295}. */
  public long cid() {
    return cid;
  }

  /** The port, in {@code 0..4294967295}. */
  public long port() {
    return port;
  }

  /** Whether this address names every CID ({@link #CID_ANY}). */
  public boolean isAnyCid() {
    return cid == CID_ANY;
  }

  /** Whether this address asks for any free port ({@link #PORT_ANY}). */
  public boolean isAnyPort() {
    return port == PORT_ANY;
  }

  /**
   * The same port on another CID.
   *
   * @throws IllegalArgumentException if the CID is outside {@code 0..4294967295}
   */
  public VsockAddress withCid(long newCid) {
    return of(newCid, port);
  }

  /** The bare {@code CID:PORT} form, used as the key in mapping files. */
  public String toShortString() {
    return cid + ":" + port;
  }

  /** The {@code vsock://CID:PORT} form, which {@link #parse(String)} reads back. */
  @Override
  public String toString() {
    return SCHEME + toShortString();
  }

  /** Orders by CID, then port. */
  @Override
  public int compareTo(VsockAddress other) {
    return cid != other.cid ? Long.compare(cid, other.cid) : Long.compare(port, other.port);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof VsockAddress that && cid == that.cid && port == that.port;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(cid) * 31 + Long.hashCode(port);
  }

  private static long checkCid(long value) {
    if (value < 0 || value > MAX_VALUE) {
      throw new IllegalArgumentException(
          "vsock cid must be in 0..4294967295 (unsigned 32-bit), was " + value);
    }
    return value;
  }
}

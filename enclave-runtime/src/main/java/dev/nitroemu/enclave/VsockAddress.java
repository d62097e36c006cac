package dev.nitroemu.enclave;

/**
 * A vsock socket address: a context id (CID) and a port, both 32-bit unsigned as in Linux's {@code
 * struct sockaddr_vm}.
 *
 * <p>The two numbers are held in {@code int}s with unsigned semantics, so {@link #CID_ANY} is
 * {@code -1} here and prints as {@code 4294967295}. Use {@link #cidUnsigned()} and {@link
 * #portUnsigned()} for arithmetic. The text form is {@code vsock://CID:PORT} (decimal, unsigned);
 * {@link #parse(String)} also accepts the bare {@code CID:PORT}.
 *
 * @param cid the context id, unsigned
 * @param port the port, unsigned
 */
public record VsockAddress(int cid, int port) {

  /** {@code VMADDR_CID_ANY} (-1U): listen on every CID of this machine; never a connect target. */
  public static final int CID_ANY = -1;

  /** {@code VMADDR_CID_HYPERVISOR} (0): reserved for the hypervisor. */
  public static final int CID_HYPERVISOR = 0;

  /** {@code VMADDR_CID_LOCAL} (1): local loopback (Linux 5.6+ with {@code vsock_loopback}). */
  public static final int CID_LOCAL = 1;

  /** {@code VMADDR_CID_HOST} (2): the host, as a guest VM sees it. */
  public static final int CID_HOST = 2;

  /** CID 3: the parent EC2 instance as an enclave sees it; AWS's vsock-proxy listens here. */
  public static final int CID_PARENT = 3;

  /** {@code VMADDR_PORT_ANY} (-1U): let the transport pick a free port when listening. */
  public static final int PORT_ANY = -1;

  private static final String SCHEME = "vsock://";
  private static final long MAX_UNSIGNED = 0xFFFF_FFFFL;

  /**
   * Creates an address from unsigned values given as {@code long}s.
   *
   * @throws IllegalArgumentException if either value is outside {@code 0..4294967295}
   */
  public static VsockAddress of(long cid, long port) {
    return new VsockAddress(checkCid(cid), (int) Ports.vsock(port, "vsock port"));
  }

  /** The address listening on {@code port} on every CID ({@link #CID_ANY}). */
  public static VsockAddress anyCid(long port) {
    return of(CID_ANY & MAX_UNSIGNED, port);
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
      throw new IllegalArgumentException("vsock address must use the vsock:// scheme, was '" + text + "'");
    }
    String rest = text.startsWith(SCHEME) ? text.substring(SCHEME.length()) : text;
    int colon = rest.indexOf(':');
    if (colon < 0 || rest.indexOf(':', colon + 1) >= 0) {
      throw new IllegalArgumentException(
          "vsock address must look like vsock://CID:PORT or CID:PORT, was '" + text + "'");
    }
    try {
      return of(Ports.parse(rest.substring(0, colon), "vsock cid"), Ports.parse(rest.substring(colon + 1), "vsock port"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + " in '" + text + "'", e);
    }
  }

  /** The CID as an unsigned value in {@code 0..4294967295}. */
  public long cidUnsigned() {
    return Integer.toUnsignedLong(cid);
  }

  /** The port as an unsigned value in {@code 0..4294967295}. */
  public long portUnsigned() {
    return Integer.toUnsignedLong(port);
  }

  /** Whether this address names every CID ({@link #CID_ANY}). */
  public boolean isAnyCid() {
    return cid == CID_ANY;
  }

  /** Whether this address asks for any free port ({@link #PORT_ANY}). */
  public boolean isAnyPort() {
    return port == PORT_ANY;
  }

  /** The same port on another CID. */
  public VsockAddress withCid(int newCid) {
    return new VsockAddress(newCid, port);
  }

  /** The bare {@code CID:PORT} form, used as the key in mapping files. */
  public String toShortString() {
    return Integer.toUnsignedString(cid) + ":" + Integer.toUnsignedString(port);
  }

  /** The {@code vsock://CID:PORT} form, which {@link #parse(String)} reads back. */
  @Override
  public String toString() {
    return SCHEME + toShortString();
  }

  private static int checkCid(long value) {
    if (value < 0 || value > MAX_UNSIGNED) {
      throw new IllegalArgumentException("vsock cid must be in 0..4294967295 (unsigned 32-bit), was " + value);
    }
    return (int) value;
  }
}

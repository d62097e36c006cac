package dev.nitroemu.vsock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nitroemu.enclave.Ports;
import dev.nitroemu.vsock.ProxyAllowlistException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.IDN;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The destinations a {@link VsockProxy} may forward to, in AWS vsock-proxy's YAML format and with
 * its matching rules, so one config file behaves the same locally and on a Nitro parent instance.
 *
 * <pre>
 * allowlist:
 * - {address: kms.us-east-1.amazonaws.com, port: 443}
 * - {address: 127.0.0.1, port: 9000}
 * </pre>
 *
 * <p>{@link #check} walks the entries in order, as AWS does: an entry must have a string {@code
 * address} and an integer {@code port} (else the check fails, even if a later entry would match);
 * its port is taken modulo 65536 (AWS casts to {@code u16}) and must equal the destination port;
 * then the address matches if it equals the destination host exactly (case-sensitive), or if any of
 * its resolved IPs equals the destination's resolved IP (IPv4 answers preferred, first one used).
 * Entries that do not resolve are skipped.
 */
public final class ProxyAllowlist {

  /** Largest config file read. */
  public static final int MAX_FILE_BYTES = 1 << 20;

  private static final YAMLMapper YAML = new YAMLMapper();

  /**
   * One entry as written; {@code address} or {@code port} is null when missing or of the wrong
   * type.
   */
  private record RawEntry(String address, Long port) {}

  /** Resolves a host name to its addresses, like {@link InetAddress#getAllByName}. */
  @FunctionalInterface
  public interface HostResolver {
    InetAddress[] resolve(String host) throws UnknownHostException;

    /** The JVM's resolver. */
    static HostResolver system() {
      return InetAddress::getAllByName;
    }
  }

  private final List<RawEntry> entries;

  private ProxyAllowlist(List<RawEntry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** An allowlist of one destination. */
  public static ProxyAllowlist allowing(String address, int port) {
    return new ProxyAllowlist(
        List.of(new RawEntry(Objects.requireNonNull(address, "address"), (long) port)));
  }

  /** This allowlist plus one more destination at the end. */
  public ProxyAllowlist and(String address, int port) {
    List<RawEntry> more = new ArrayList<>(entries);
    more.add(new RawEntry(Objects.requireNonNull(address, "address"), (long) port));
    return new ProxyAllowlist(more);
  }

  /**
   * Reads a vsock-proxy config file.
   *
   * @throws ProxyAllowlistException with {@link Reason#CANNOT_OPEN}, {@link Reason#CANNOT_READ},
   *     {@link Reason#BAD_YAML} or {@link Reason#NO_ALLOWLIST_FIELD}
   */
  public static ProxyAllowlist load(Path file) throws ProxyAllowlistException {
    InputStream in;
    try {
      in = Files.newInputStream(file);
    } catch (IOException e) {
      throw new ProxyAllowlistException(Reason.CANNOT_OPEN, e);
    }
    byte[] bytes;
    try (in) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    } catch (IOException e) {
      throw new ProxyAllowlistException(Reason.CANNOT_READ, e);
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw new ProxyAllowlistException(
          Reason.CANNOT_READ,
          new IOException(file + " is larger than " + MAX_FILE_BYTES + " bytes"));
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new ProxyAllowlistException(Reason.CANNOT_READ, e);
    }
    return parse(text);
  }

  /**
   * Parses vsock-proxy config YAML (the first document if there are several).
   *
   * @throws ProxyAllowlistException with {@link Reason#BAD_YAML} or {@link
   *     Reason#NO_ALLOWLIST_FIELD}
   */
  public static ProxyAllowlist parse(String yaml) throws ProxyAllowlistException {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (IOException e) {
      throw new ProxyAllowlistException(Reason.BAD_YAML, e);
    }
    JsonNode list = root == null ? null : root.get("allowlist");
    if (list == null || !list.isArray()) {
      throw new ProxyAllowlistException(Reason.NO_ALLOWLIST_FIELD);
    }
    List<RawEntry> entries = new ArrayList<>();
    for (JsonNode item : list) {
      JsonNode address = item.get("address");
      JsonNode port = item.get("port");
      entries.add(
          new RawEntry(
              address != null && address.isTextual() ? address.textValue() : null,
              port != null && port.isIntegralNumber() && port.canConvertToLong()
                  ? port.longValue()
                  : null));
    }
    return new ProxyAllowlist(entries);
  }

  /**
   * Checks a destination with the system resolver; see {@link #check(String, int, HostResolver)}.
   */
  public InetAddress check(String host, int port) throws ProxyAllowlistException {
    return check(host, port, HostResolver.system());
  }

  /**
   * Checks that the destination is allowed and returns the IP address it resolved to.
   *
   * @param host the destination host name or IP literal
   * @param port the destination TCP port, 0..65535
   * @throws ProxyAllowlistException with {@link Reason#DNS_LOOKUP_FAILED}, {@link
   *     Reason#NO_ADDRESS_FIELD}, {@link Reason#BAD_PORT_FIELD} or {@link Reason#NOT_ALLOWED}
   */
  public InetAddress check(String host, int port, HostResolver resolver)
      throws ProxyAllowlistException {
    Objects.requireNonNull(host, "host");
    Ports.tcpOrAny(port, "destination port");
    List<InetAddress> destination = preferred(host, resolver);
    if (destination.isEmpty()) {
      throw new ProxyAllowlistException(Reason.DNS_LOOKUP_FAILED);
    }
    InetAddress remote = destination.get(0);
    for (RawEntry entry : entries) {
      if (entry.address() == null) {
        throw new ProxyAllowlistException(Reason.NO_ADDRESS_FIELD);
      }
      if (entry.port() == null) {
        throw new ProxyAllowlistException(Reason.BAD_PORT_FIELD);
      }
      // AWS reads the port as i64 and casts it to u16; keep that so one file means the same
      // everywhere.
      if ((entry.port() & 0xFFFF) != port) {
        continue;
      }
      if (entry.address().equals(host) || preferred(entry.address(), resolver).contains(remote)) {
        return remote;
      }
    }
    throw new ProxyAllowlistException(Reason.NOT_ALLOWED);
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("ProxyAllowlist[");
    for (RawEntry entry : entries) {
      text.append(entries.get(0) == entry ? "" : ", ")
          .append(entry.address())
          .append(':')
          .append(entry.port());
    }
    return text.append(']').toString();
  }

  /**
   * A host's addresses as AWS's resolver returns them: the IPv4 ones if any, else the IPv6 ones.
   */
  static List<InetAddress> preferred(String host, HostResolver resolver) {
    InetAddress[] all;
    try {
      all = resolver.resolve(IDN.toASCII(host));
    } catch (UnknownHostException | IllegalArgumentException e) {
      return List.of();
    }
    if (all == null) {
      return List.of();
    }
    List<InetAddress> v4 = Arrays.stream(all).filter(a -> a instanceof Inet4Address).toList();
    return v4.isEmpty() ? Arrays.asList(all) : v4;
  }
}

package dev.nitroemu.enclave.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.AtomicFiles;
import dev.nitroemu.enclave.VsockAddress;
import java.io.IOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The vsock mapping file that lets processes find each other's emulated listeners: a JSON object
 * mapping {@code "CID:PORT"} to the TCP endpoint {@code "HOST:PORT"} that carries it.
 *
 * <pre>{@code
 * {
 *   "version" : 1,
 *   "endpoints" : {
 *     "3:8000" : "127.0.0.1:40113",
 *     "16:5000" : "127.0.0.1:40117"
 *   }
 * }
 * }</pre>
 *
 * <p>Writers hold an exclusive lock on the sibling file {@code NAME.lock} while they read, merge
 * and replace the file, and replace it with {@link AtomicFiles} (world-readable: it names only
 * loopback endpoints, and a container running as another user reads it), so readers need no lock
 * and never see a half-written file. A missing file reads as empty.
 */
public final class MappingFile {

  /** The largest mapping file read; anything bigger is rejected as malformed. */
  public static final int MAX_BYTES = 1 << 20;

  /** The format version written and accepted. */
  public static final int VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** FileChannel locks are per JVM, so threads of one JVM serialise on a monitor first. */
  private static final Map<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path path;

  public MappingFile(Path path) {
    this.path = Objects.requireNonNull(path, "path").toAbsolutePath().normalize();
  }

  public Path path() {
    return path;
  }

  /** Reads the current mappings; an absent file has none. */
  public Map<VsockAddress, TcpEndpoint> read() throws IOException {
    byte[] bytes;
    try {
      bytes = AtomicFiles.read(path, MAX_BYTES);
    } catch (NoSuchFileException e) {
      return new TreeMap<>();
    }
    return parse(bytes, path.toString());
  }

  /**
   * Atomically removes the given mappings (only where they still point at the same endpoint, so
   * another process's newer entry survives) and then adds the given ones.
   */
  public void update(Map<VsockAddress, TcpEndpoint> remove, Map<VsockAddress, TcpEndpoint> add)
      throws IOException {
    locked(
        entries -> {
          remove.forEach(entries::remove);
          entries.putAll(add);
        });
  }

  /** A change to the mappings, made while the file is locked. */
  @FunctionalInterface
  private interface Change {
    void apply(Map<VsockAddress, TcpEndpoint> entries) throws IOException;
  }

  @SuppressWarnings("try") // The lock is held for the block's duration, never referenced.
  private void locked(Change change) throws IOException {
    Object jvmLock = JVM_LOCKS.computeIfAbsent(path, p -> new Object());
    synchronized (jvmLock) {
      Path parent = path.getParent();
      Files.createDirectories(parent);
      Path lockFile = parent.resolve(path.getFileName() + ".lock");
      try (FileChannel channel =
              FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = channel.lock()) {
        Map<VsockAddress, TcpEndpoint> entries = read();
        change.apply(entries);
        AtomicFiles.write(
            path, render(entries).getBytes(StandardCharsets.UTF_8), AtomicFiles.WORLD_READABLE);
      }
    }
  }

  /**
   * Atomically publishes {@code address} at {@code endpoint}, unless the file already maps it to
   * another endpoint that something still listens on (another process owns the address).
   *
   * @throws BindException "Address already in use", naming the file, when the address is owned
   */
  public void claim(VsockAddress address, TcpEndpoint endpoint) throws IOException {
    locked(
        entries -> {
          TcpEndpoint current = entries.get(address);
          if (current != null && !current.equals(endpoint) && listening(current)) {
            throw new BindException(
                "Address already in use: "
                    + address
                    + " (published in mapping file "
                    + path
                    + " by a running process, at "
                    + current
                    + ")");
          }
          entries.put(address, endpoint);
        });
  }

  /**
   * Whether something listens on a TCP endpoint, told without connecting to it: binding it fails
   * when a listener holds it (a lingering connection of a closed listener does not, as SO_REUSEADDR
   * is set). An endpoint this machine cannot bind (another host) counts as listening.
   */
  static boolean listening(TcpEndpoint endpoint) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(endpoint.toSocketAddress(), 1);
      return false;
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }

  /** Renders mappings in the documented JSON form, sorted by CID then port. */
  public static String render(Map<VsockAddress, TcpEndpoint> entries) {
    Map<VsockAddress, TcpEndpoint> sorted = new TreeMap<>();
    sorted.putAll(entries);
    ObjectNode root = JSON.createObjectNode();
    root.put("version", VERSION);
    ObjectNode endpoints = root.putObject("endpoints");
    sorted.forEach(
        (address, endpoint) -> endpoints.put(address.toShortString(), endpoint.toString()));
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render vsock mappings", e);
    }
  }

  /**
   * Parses the documented JSON form.
   *
   * @param source names the input in error messages
   * @throws IOException naming the source and the problem if the content is malformed
   */
  public static Map<VsockAddress, TcpEndpoint> parse(byte[] bytes, String source)
      throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw malformed(source, "not JSON (" + e.getOriginalMessage() + ")");
    }
    if (root == null || !root.isObject()) {
      throw malformed(source, "the top level must be a JSON object");
    }
    JsonNode version = root.get("version");
    if (version == null || !version.isInt() || version.intValue() != VERSION) {
      throw malformed(source, "\"version\" must be " + VERSION);
    }
    JsonNode endpoints = root.get("endpoints");
    if (endpoints == null || !endpoints.isObject()) {
      throw malformed(source, "\"endpoints\" must be an object of \"CID:PORT\": \"HOST:PORT\"");
    }
    Map<VsockAddress, TcpEndpoint> entries = new TreeMap<>();
    for (Map.Entry<String, JsonNode> field : endpoints.properties()) {
      if (!field.getValue().isTextual()) {
        throw malformed(
            source, "endpoint for \"" + field.getKey() + "\" must be a \"HOST:PORT\" string");
      }
      try {
        entries.put(
            VsockAddress.parse(field.getKey()), TcpEndpoint.parse(field.getValue().textValue()));
      } catch (IllegalArgumentException e) {
        throw malformed(source, e.getMessage());
      }
    }
    return entries;
  }

  private static IOException malformed(String source, String problem) {
    return new IOException("invalid vsock mapping file " + source + ": " + problem);
  }
}

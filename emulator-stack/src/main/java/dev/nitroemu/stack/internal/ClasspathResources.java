package dev.nitroemu.stack.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Reads small text resources from the classpath, bounded, with messages that say where to put them.
 */
public final class ClasspathResources {

  private ClasspathResources() {}

  /** The thread's context class loader, or {@code owner}'s when the thread has none. */
  public static ClassLoader defaultLoader(Class<?> owner) {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : owner.getClassLoader();
  }

  /**
   * The UTF-8 text of {@code resource} (a leading {@code /} is ignored).
   *
   * @param what what the resource is, for messages (e.g. "enclave profile")
   * @throws IllegalArgumentException if it is missing or larger than {@code maxBytes}
   * @throws UncheckedIOException if it cannot be read
   */
  public static String read(String resource, ClassLoader loader, int maxBytes, String what) {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(loader, "loader");
    String path = resource.startsWith("/") ? resource.substring(1) : resource;
    try (InputStream in = loader.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException(
            what
                + " '"
                + resource
                + "' is not on the classpath (e.g. put it at"
                + " src/test/resources/"
                + path
                + ")");
      }
      byte[] bytes = in.readNBytes(maxBytes + 1);
      if (bytes.length > maxBytes) {
        throw new IllegalArgumentException(
            what + " '" + resource + "' is larger than " + maxBytes + " bytes");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + what + " '" + resource + "'", e);
    }
  }
}

package dev.nitroemu.container.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The nitro-emu version this module was built as (from a resource the build filters). */
public final class EmulatorVersion {
  private static final String RESOURCE = "/dev/nitroemu/container/nitro-emu-version.properties";
  private static final String VERSION = load();

  private EmulatorVersion() {}

  /** The project version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = EmulatorVersion.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            RESOURCE + " is missing from the class path; rebuild enclave-container");
      }
      Properties properties = new Properties();
      properties.load(in);
      String version = properties.getProperty("version", "");
      if (version.isBlank() || version.contains("${")) {
        throw new IllegalStateException(
            RESOURCE + " was not filtered by the build; rebuild enclave-container");
      }
      return version;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}

package dev.nitroemu.archrules;

import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.LocationProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The compiled main and test classes of the module whose tests are running, as ArchUnit locations.
 *
 * <p>The parent pom's surefire configuration passes the module's {@code target/classes} and {@code
 * target/test-classes} as the system properties below; a folder that does not exist (a module
 * without tests) is left out. Only this module's classes are imported, never the classpath, so each
 * module is checked once, in its own build.
 */
public final class ModuleUnderTest implements LocationProvider {

  /** System property naming the module's compiled main classes. */
  public static final String CLASSES = "nitro.module.classes";

  /** System property naming the module's compiled test classes. */
  public static final String TEST_CLASSES = "nitro.module.testClasses";

  @Override
  public Set<Location> get(Class<?> testClass) {
    Set<Location> locations = new LinkedHashSet<>();
    for (String property : List.of(CLASSES, TEST_CLASSES)) {
      String folder = System.getProperty(property);
      if (folder == null || folder.isBlank()) {
        throw new IllegalStateException(
            "system property "
                + property
                + " is not set: run this test through Maven (the parent pom's surefire configuration"
                + " sets it to the module's class folder)");
      }
      Path path = Path.of(folder);
      if (Files.isDirectory(path)) {
        locations.add(Location.of(path));
      }
    }
    return locations;
  }
}

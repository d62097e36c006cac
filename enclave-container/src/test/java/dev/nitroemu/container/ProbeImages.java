package dev.nitroemu.container;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.testcontainers.images.builder.ImageFromDockerfile;

/** Images of the probe enclave app (enclave-probe-app), built once per test JVM and content. */
final class ProbeImages {

  static final String MAIN_CLASS = "dev.nitroemu.probe.ProbeEnclave";
  static final long PORT = 5000;

  private static final Map<String, ImageFromDockerfile> BUILT = new ConcurrentHashMap<>();

  private ProbeImages() {}

  /** The probe image. */
  static ImageFromDockerfile probe() {
    return probeWith("/etc/probe.conf", "variant=a\n");
  }

  /** The probe image with one file's content chosen. */
  static ImageFromDockerfile probeWith(String file, String content) {
    return BUILT.computeIfAbsent(
        file + "\0" + content,
        key -> {
          ImageFromDockerfile image =
              JavaEnclaveImage.builder(MAIN_CLASS)
                  .classes(required("nitro.probe.classes"))
                  .jars(required("nitro.probe.lib"))
                  .file(file, content)
                  // Direct buffers beyond the heap, so the ALLOCATE probe meets the container's
                  // memory cap.
                  .jvmArguments("-XX:MaxDirectMemorySize=8g")
                  // A fixed name per content: a rerun retags (layers cached) instead of piling up
                  // images.
                  .name("nitro-emu-test/probe:" + Integer.toHexString(key.hashCode()))
                  .cacheDirectory(
                      Path.of(
                          System.getProperty(
                              "nitro.container.cache",
                              System.getProperty("java.io.tmpdir") + "/nitro-emu-container-cache")))
                  .build();
          image.get(); // build now, so a failure shows here
          return image;
        });
  }

  private static Path required(String property) {
    String value = System.getProperty(property);
    if (value == null || !Files.exists(Path.of(value))) {
      throw new IllegalStateException(
          property
              + " must name the probe app's build output (run the tests"
              + " through Maven with enclave-probe-app built: mvn -pl enclave-container -am verify), was "
              + value);
    }
    return Path.of(value);
  }
}

package dev.nitroemu.languages;

import dev.nitroemu.container.NativeEnclaveImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The {@code FROM scratch} images of the matrix's programs, from this machine's files: a base image
 * per program (built once per JVM, tagged {@code nitro-emu-language/<name>:test}) and, per run, an
 * image adding the command line {@code /enclave/<name> NONCE ECHO_PORT LISTEN_PORT}.
 */
final class ProgramImages {

  /** Where the program lives in its image. */
  static final String PROGRAM_DIRECTORY = "/enclave/";

  /** Debian's interpreter, at the path of the Python program's {@code #!} line. */
  static final Path PYTHON = Path.of("/usr/bin/python3");

  /**
   * Prints every file of the modules the program imports, and of the interpreter's own start-up
   * ({@code site}, {@code encodings}), without running the program's main.
   */
  private static final String PYTHON_IMPORTS =
      "import importlib.machinery, importlib.util, sys\n"
          + "loader = importlib.machinery.SourceFileLoader('enclave_program', sys.argv[1])\n"
          + "spec = importlib.util.spec_from_loader('enclave_program', loader)\n"
          + "loader.exec_module(importlib.util.module_from_spec(spec))\n"
          + "for m in list(sys.modules.values()):\n"
          + "    f = getattr(m, '__file__', None)\n"
          + "    if f and not f.startswith(sys.argv[1]): print(f)\n";

  private static final long PYTHON_TIMEOUT_SECONDS = 30;
  private static final Map<Program, String> BASES = new EnumMap<>(Program.class);

  private ProgramImages() {}

  /** The image running {@code program} with {@code arguments}. */
  static ImageFromDockerfile image(Program program, List<String> arguments, Path staging)
      throws IOException {
    String base = base(program, staging);
    List<String> command = new ArrayList<>();
    command.add(PROGRAM_DIRECTORY + program.fileName());
    command.addAll(arguments);
    return new ImageFromDockerfile()
        .withDockerfileFromBuilder(b -> b.from(base).cmd(command.toArray(String[]::new)));
  }

  /** The name of {@code program}'s base image, built on first use. */
  static synchronized String base(Program program, Path staging) throws IOException {
    String existing = BASES.get(program);
    if (existing != null) {
      return existing;
    }
    String inImage = PROGRAM_DIRECTORY + program.fileName();
    NativeEnclaveImage.Builder builder =
        NativeEnclaveImage.builder(inImage)
            .name("nitro-emu-language/" + program.fileName() + ":test")
            .stagingDirectory(staging)
            .file(program.path(), inImage);
    if (program.runtime() == Program.Runtime.PYTHON) {
      builder.file(PYTHON.toRealPath(), PYTHON.toString());
      for (Path file : pythonFiles(program.path())) {
        builder.file(file);
      }
    }
    String name = builder.build().get();
    BASES.put(program, name);
    return name;
  }

  /**
   * The Python files and extension modules {@code script} loads (standard library, {@code cbor2}),
   * as Debian's interpreter reports them: the pruned standard library of the image.
   */
  static List<Path> pythonFiles(Path script) throws IOException {
    Process process =
        new ProcessBuilder(PYTHON.toString(), "-B", "-c", PYTHON_IMPORTS, script.toString())
            .redirectErrorStream(true)
            .start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = process.getInputStream()) {
      in.transferTo(out);
      if (!process.waitFor(PYTHON_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(PYTHON + " took longer than " + PYTHON_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted while listing the Python program's modules", e);
    }
    String listing = out.toString(StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new IOException("cannot list the Python program's modules: " + listing);
    }
    TreeSet<Path> files = new TreeSet<>();
    for (String line : listing.split("\n")) {
      Path file = Path.of(line.strip());
      if (!line.isBlank() && file.isAbsolute() && Files.isRegularFile(file)) {
        files.add(file);
      }
    }
    return List.copyOf(files);
  }
}

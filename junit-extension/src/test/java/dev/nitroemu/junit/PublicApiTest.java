package dev.nitroemu.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PublicApiTest {

  @Test
  void publicTypesMatchTheCheckedInList() throws Exception {
    List<String> expected =
        Files.readAllLines(Path.of("api/public-types.txt")).stream()
            .filter(line -> !line.isBlank() && !line.startsWith("#"))
            .sorted()
            .collect(Collectors.toList());

    assertThat(publicTopLevelTypes()).containsExactlyElementsOf(expected);
  }

  private static List<String> publicTopLevelTypes() throws IOException, ClassNotFoundException {
    Path classes =
        Path.of(
                NitroEnclaveExtension.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .getPath())
            .resolve("dev/nitroemu/junit");
    List<String> names;
    try (Stream<Path> files = Files.list(classes)) {
      names =
          files
              .map(file -> file.getFileName().toString())
              .filter(name -> name.endsWith(".class") && !name.contains("$"))
              .map(
                  name ->
                      "dev.nitroemu.junit." + name.substring(0, name.length() - ".class".length()))
              .sorted()
              .collect(Collectors.toList());
    }
    List<String> result = new ArrayList<>();
    for (String name : names) {
      if (Modifier.isPublic(Class.forName(name).getModifiers())) {
        result.add(name);
      }
    }
    return result;
  }
}

package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EifWriter rebuilds AWS's vectors from the same inputs: byte for byte where eif_build's output is
 * reproducible, and with equal PCRs (and a valid signature) for the signed one.
 */
class EifWriterTest {
  private static final Pattern GENERATOR =
      Pattern.compile("sha256-ctr label='([^']+)' size=(\\d+)");

  @TempDir Path temp;

  static Stream<JsonNode> builtVectors() throws IOException {
    List<JsonNode> built = new ArrayList<>();
    EifFileTest.vectorEntries().filter(v -> v.hasNonNull("eif_build_args")).forEach(built::add);
    return built.stream();
  }

  @ParameterizedTest
  @MethodSource("builtVectors")
  void rebuildsEachVectorFromItsInputs(JsonNode vector) throws Exception {
    Path output = temp.resolve("out.eif");
    EifFile built = writerFor(vector).build().write(output);
    Path original = EifFileTest.vectors().resolve(vector.get("file").asText());

    assertThat(built.measurements().keySet())
        .isEqualTo(EifFile.read(original).measurements().keySet());
    built
        .measurements()
        .forEach(
            (index, pcr) ->
                assertThat(pcr)
                    .as("PCR%d", index)
                    .isEqualTo(
                        java.util.HexFormat.of()
                            .parseHex(vector.get("pcrs").get("PCR" + index).asText())));
    assertThat(built.crcOk()).isTrue();
    if (vector.get("bytes_reproducible").asBoolean()) {
      assertThat(Files.readAllBytes(output)).isEqualTo(Files.readAllBytes(original));
    } else {
      assertThat(built.signatureValid()).isTrue();
      assertThat(Files.size(output) - built.sections().get(built.sections().size() - 1).size())
          .isEqualTo(Files.size(original) - EifFile.read(original).sections().get(5).size());
    }
  }

  @Test
  void theSameInputsAndBuildTimeGiveTheSameBytes() throws Exception {
    JsonNode v3 =
        builtVectors()
            .filter(v -> v.get("file").asText().startsWith("v3"))
            .findFirst()
            .orElseThrow();
    writerFor(v3).build().write(temp.resolve("a.eif"));
    writerFor(v3).build().write(temp.resolve("b.eif"));
    assertThat(Files.readAllBytes(temp.resolve("a.eif")))
        .isEqualTo(Files.readAllBytes(temp.resolve("b.eif")));
  }

  @Test
  void refusesAnImageWithoutRamdisk() {
    assertThatThrownBy(() -> EifWriter.builder().kernel(temp).cmdline("x").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at least one ramdisk");
  }

  private EifWriter.Builder writerFor(JsonNode vector) throws Exception {
    JsonNode inputs =
        new ObjectMapper()
            .readTree(EifFileTest.vectors().resolve("vectors.json").toFile())
            .get("inputs");
    EifWriter.Builder writer =
        EifWriter.builder().buildTool("eif_build", "0.3.1").system("OS", "kernel");
    JsonNode args = vector.get("eif_build_args");
    for (int i = 0; i < args.size(); i += 2) {
      String value = args.get(i + 1).asText();
      switch (args.get(i).asText()) {
        case "--kernel" -> writer.kernel(input(inputs, value));
        case "--cmdline" -> writer.cmdline(value);
        case "--ramdisk" -> writer.ramdisk(input(inputs, value));
        case "--name" -> writer.imageName(value);
        case "--arch" -> writer.architecture(EifFile.Architecture.AARCH64);
        case "--build-time" -> writer.buildTime(value);
        case "--metadata" ->
            writer.customMetadata(vector.get("metadata_section_json").get("CustomMetadata"));
        case "--signing-certificate" -> {}
        case "--private-key" ->
            writer.signing(
                Files.readAllBytes(EifFileTest.vectors().resolve("test-signing-cert.pem")),
                testKey());
        default ->
            throw new IllegalArgumentException("unexpected eif_build argument " + args.get(i));
      }
    }
    return writer;
  }

  /**
   * Regenerates an input blob: SHA256(label ":" counter_be32) for counter 0, 1, ..., cut to size.
   */
  private Path input(JsonNode inputs, String name) throws Exception {
    Path file = temp.resolve(name);
    if (Files.exists(file)) {
      return file;
    }
    Matcher m = GENERATOR.matcher(inputs.get(name).get("generator").asText());
    assertThat(m.matches()).isTrue();
    int size = Integer.parseInt(m.group(2));
    byte[] out = new byte[size];
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    for (int counter = 0, at = 0; at < size; counter++) {
      sha256.update((m.group(1) + ":").getBytes(StandardCharsets.UTF_8));
      byte[] block = sha256.digest(ByteBuffer.allocate(4).putInt(counter).array());
      int n = Math.min(block.length, size - at);
      System.arraycopy(block, 0, out, at, n);
      at += n;
    }
    assertThat(java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-384").digest(out)))
        .isEqualTo(inputs.get(name).get("sha384").asText());
    return Files.write(file, out);
  }

  /** The published test key, in OpenSSL's SEC1 PEM form as eif_build takes it. */
  private static PrivateKey testKey() throws Exception {
    try (PEMParser parser =
        new PEMParser(
            Files.newBufferedReader(EifFileTest.vectors().resolve("test-signing-key.pem")))) {
      return new JcaPEMKeyConverter().getKeyPair((PEMKeyPair) parser.readObject()).getPrivate();
    }
  }
}

package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.kms.KmsMockServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * A state directory {@code start} must not use, or state it must not silently repair: each is
 * refused in one line before the stack serves anything (so these run in this JVM, with a free KMS
 * port).
 */
@Timeout(60)
class StateDirectorySafetyTest {
  @TempDir Path dir;

  private Path state;

  record Run(int exitCode, String out, String err) {}

  @BeforeEach
  void posixOnly() {
    assumeThat(FileSystems.getDefault().supportedFileAttributeViews())
        .as("POSIX file permissions")
        .contains("posix");
    state = dir.resolve("state");
  }

  @Test
  void aDirectoryWritableByOthersIsRefusedAndLeftAlone() throws Exception {
    Files.createDirectory(
        state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
    Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));

    Run start = start();

    assertThat(start.exitCode()).isEqualTo(1);
    assertThat(start.err().lines())
        .containsExactly(
            "nitro-emu: state directory "
                + state
                + " is writable by others (rwxrwxrwx); run 'chmod go-w "
                + state
                + "' or use another --state-dir");
    try (Stream<Path> files = Files.list(state)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aSymbolicLinkAsTheDirectoryIsRefused() throws Exception {
    Path real = Files.createDirectory(dir.resolve("real"));
    Files.createSymbolicLink(state, real);

    Run start = start();

    assertThat(start.exitCode()).isEqualTo(1);
    assertThat(start.err().lines()).hasSize(1).first().asString().contains("is a symbolic link");
    try (Stream<Path> files = Files.list(real)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void anotherUsersDirectoryIsRefused() throws Exception {
    assumeThat(System.getProperty("user.name"))
        .as("changing a directory's owner needs root")
        .isEqualTo("root");
    Files.createDirectory(
        state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    UserPrincipal nobody =
        state.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(state, nobody);

    Run start = start();

    assertThat(start.exitCode()).isEqualTo(1);
    assertThat(start.err().lines())
        .hasSize(1)
        .first()
        .asString()
        .contains("belongs to nobody, not to root");
  }

  @Test
  void aPlantedSymbolicLinkAsTheAuditLogIsRefusedAndItsTargetUntouched() throws Exception {
    Files.createDirectory(
        state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path victim = Files.writeString(dir.resolve("victim.txt"), "precious\n");
    Files.createSymbolicLink(state.resolve("kms-audit.jsonl"), victim);

    Run start = start();

    assertThat(start.exitCode()).isEqualTo(1);
    assertThat(start.err().lines())
        .hasSize(1)
        .first()
        .asString()
        .contains("cannot open audit log " + state.resolve("kms-audit.jsonl"))
        .contains("symbolic link");
    assertThat(Files.readString(victim)).isEqualTo("precious\n");
  }

  @Test
  void aMissingKeyFileStopsStartNamingItInsteadOfDroppingTheAlias() throws Exception {
    String keyId = keyWithAlias();
    Path keyFile = state.resolve("kms").resolve("keys").resolve(keyId + ".json");
    Files.delete(keyFile);

    Run start = start();

    assertThat(start.exitCode()).isEqualTo(1);
    assertThat(start.err().lines())
        .hasSize(1)
        .first()
        .asString()
        .contains("alias/kept")
        .contains(keyFile.toString())
        .contains("missing");
    try (Stream<Path> aliases = Files.list(state.resolve("kms").resolve("aliases"))) {
      assertThat(aliases).hasSize(1);
    }
  }

  @Test
  void aDamagedKeyFileStopsStartNamingIt() throws Exception {
    String keyId = keyWithAlias();
    Path keyFile = state.resolve("kms").resolve("keys").resolve(keyId + ".json");
    Files.writeString(keyFile, "{\"format\": 1, \"keyId\": \"truncated");

    Run start = start();

    assertThat(start.exitCode()).isEqualTo(1);
    assertThat(start.err().lines())
        .hasSize(1)
        .first()
        .asString()
        .contains("Corrupt KMS state file " + keyFile);
  }

  /**
   * A key with alias {@code alias/kept} in the state directory's KMS store, as a stack would leave
   * it.
   */
  private String keyWithAlias() throws Exception {
    Files.createDirectory(
        state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try (KmsMockServer kms =
            KmsMockServer.builder().stateDirectory(state.resolve("kms")).build().start();
        KmsClient client =
            EnclaveKmsClient.kmsClient(kms.endpoint(), kms.region(), "test", "test")) {
      String keyId = client.createKey(r -> r.description("kept")).keyMetadata().keyId();
      client.createAlias(r -> r.aliasName("alias/kept").targetKeyId(keyId));
      return keyId;
    }
  }

  private Run start() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(
            Map.of("NITRO_EMU_HOME", dir.resolve("home").toString()), dir, dir, Clock.systemUTC());
    int code =
        NitroEmu.execute(
            env,
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            "start",
            "--state-dir",
            state.toString(),
            "--kms-port",
            "0",
            "--nsm-port",
            "9797");
    return new Run(code, out.toString(), err.toString());
  }
}

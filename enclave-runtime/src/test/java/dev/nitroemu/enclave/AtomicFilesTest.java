package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

  @TempDir Path dir;

  @BeforeEach
  void posixOnly() {
    assumeTrue(
        dir.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "permissions and symbolic links are checked on POSIX file systems only");
  }

  @Test
  void writesAndReplacesTheContent() throws IOException {
    Path target = dir.resolve("state.json");

    AtomicFiles.write(target, "first");
    AtomicFiles.write(target, "second, longer than the first");

    assertThat(Files.readString(target)).isEqualTo("second, longer than the first");
    assertThat(AtomicFiles.readString(target, 1024)).isEqualTo("second, longer than the first");
    assertThat(entries()).containsExactly(target);
  }

  @Test
  void newFilesAreOwnerOnlyByDefault() throws IOException {
    Path target = dir.resolve("key.pem");

    AtomicFiles.write(target, new byte[] {1, 2, 3});

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-------");
  }

  @Test
  void replacingAWorldReadableFileMakesItOwnerOnly() throws IOException {
    Path target = dir.resolve("secret");
    Files.writeString(target, "old");
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-rw-rw-"));

    AtomicFiles.write(target, "new");

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-------");
  }

  @Test
  void givenPermissionsAreSetExactly() throws IOException {
    Path target = dir.resolve("root.pem");

    AtomicFiles.write(
        target, "cert".getBytes(StandardCharsets.US_ASCII), AtomicFiles.WORLD_READABLE);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void aSymbolicLinkAtTheTargetIsRefusedAndNotFollowed() throws IOException {
    Path victim =
        Files.writeString(
            Files.createDirectory(dir.resolve("elsewhere")).resolve("victim"), "precious");
    Path target = Files.createSymbolicLink(dir.resolve("state.json"), victim);

    assertThatThrownBy(() -> AtomicFiles.write(target, "attacker-chosen"))
        .isInstanceOf(FileSystemException.class)
        .hasMessageContaining("symbolic link");

    assertThat(Files.readString(victim)).isEqualTo("precious");
    assertThat(Files.isSymbolicLink(target)).isTrue();
    assertThat(Files.readSymbolicLink(target)).isEqualTo(victim);
    assertThat(entries()).containsExactlyInAnyOrder(dir.resolve("elsewhere"), target);
  }

  @Test
  void aDanglingSymbolicLinkAtTheTargetIsRefusedAndCreatesNothing() throws IOException {
    Path wouldBeCreated = dir.resolve("created-through-the-link");
    Path target = Files.createSymbolicLink(dir.resolve("state.json"), wouldBeCreated);

    assertThatThrownBy(() -> AtomicFiles.write(target, "x"))
        .isInstanceOf(FileSystemException.class);

    assertThat(Files.exists(wouldBeCreated, LinkOption.NOFOLLOW_LINKS)).isFalse();
  }

  @Test
  void aDirectoryAtTheTargetIsRefused() throws IOException {
    Path target = Files.createDirectory(dir.resolve("state.json"));

    assertThatThrownBy(() -> AtomicFiles.write(target, "x"))
        .isInstanceOf(FileSystemException.class)
        .hasMessageContaining("not a regular file");
  }

  @Test
  void theDirectoryMustExistAndBeADirectory() throws IOException {
    Path file = Files.writeString(dir.resolve("plain-file"), "x");

    assertThatThrownBy(() -> AtomicFiles.write(dir.resolve("missing").resolve("f"), "x"))
        .isInstanceOf(NotDirectoryException.class);
    assertThatThrownBy(() -> AtomicFiles.write(file.resolve("f"), "x"))
        .isInstanceOf(FileSystemException.class);
  }

  @Test
  void aSymbolicLinkInTheDirectoryPathIsResolvedOnce() throws IOException {
    Path real = Files.createDirectory(dir.resolve("real"));
    Path linkedDirectory = Files.createSymbolicLink(dir.resolve("linked"), real);

    AtomicFiles.write(linkedDirectory.resolve("f"), "through the directory link");

    assertThat(Files.readString(real.resolve("f"))).isEqualTo("through the directory link");
    assertThat(Files.isSymbolicLink(real.resolve("f"))).isFalse();
  }

  @Test
  void aLeftoverTemporaryFileFromACrashDoesNotBreakTheNextWrite() throws IOException {
    Path target = dir.resolve("state.json");
    AtomicFiles.write(target, "acknowledged");
    // What a write that crashed between creating and renaming its temporary file leaves behind,
    // and a link planted under a temporary-looking name.
    Path leftover =
        Files.writeString(
            dir.resolve(".state.json.0011223344556677" + AtomicFiles.TEMPORARY_SUFFIX),
            "half-writ");
    Path plantedLink =
        Files.createSymbolicLink(
            dir.resolve(".state.json.8899aabbccddeeff" + AtomicFiles.TEMPORARY_SUFFIX),
            dir.resolve("nowhere"));

    AtomicFiles.write(target, "next");

    assertThat(Files.readString(target)).isEqualTo("next");
    assertThat(AtomicFiles.isTemporaryFile(leftover)).isTrue();
    assertThat(AtomicFiles.isTemporaryFile(plantedLink)).isTrue();
    assertThat(AtomicFiles.isTemporaryFile(target)).isFalse();
    assertThat(Files.exists(dir.resolve("nowhere"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(entries()).containsExactlyInAnyOrder(target, leftover, plantedLink);
  }

  @Test
  void streamedContentIsWrittenWithPositionedWritesAndReplacesTheTargetOnlyWhenComplete()
      throws IOException {
    Path target = dir.resolve("image.eif");
    AtomicFiles.write(target, "old image");

    assertThatThrownBy(
            () ->
                AtomicFiles.write(
                    target,
                    AtomicFiles.WORLD_READABLE,
                    channel -> {
                      channel.write(ByteBuffer.wrap("half".getBytes(StandardCharsets.US_ASCII)));
                      throw new IOException("input vanished");
                    }))
        .hasMessage("input vanished");
    assertThat(Files.readString(target)).isEqualTo("old image");
    assertThat(entries()).containsExactly(target);

    AtomicFiles.write(
        target,
        AtomicFiles.WORLD_READABLE,
        channel -> {
          channel.position(4);
          channel.write(ByteBuffer.wrap("body".getBytes(StandardCharsets.US_ASCII)));
          channel.write(ByteBuffer.wrap("head".getBytes(StandardCharsets.US_ASCII)), 0);
        });
    assertThat(Files.readString(target)).isEqualTo("headbody");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void readsAreBoundedAndRefuseLinks() throws IOException {
    Path file = Files.write(dir.resolve("doc"), new byte[100]);
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);

    assertThat(AtomicFiles.read(file, 100)).hasSize(100);
    assertThatThrownBy(() -> AtomicFiles.read(file, 99))
        .isInstanceOf(FileSystemException.class)
        .hasMessageContaining("larger than 99 bytes");
    assertThatThrownBy(() -> AtomicFiles.read(link, 100))
        .isInstanceOf(FileSystemException.class)
        .hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> AtomicFiles.read(dir, 100))
        .isInstanceOf(FileSystemException.class)
        .hasMessageContaining("not a regular file");
    assertThatThrownBy(() -> AtomicFiles.read(dir.resolve("absent"), 100))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void deleteRemovesTheFileOrTheLinkButNeverTheLinkTarget() throws IOException {
    Path file = Files.writeString(dir.resolve("file"), "x");
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);

    assertThat(AtomicFiles.delete(link)).isTrue();
    assertThat(Files.readString(file)).isEqualTo("x");
    assertThat(AtomicFiles.delete(file)).isTrue();
    assertThat(AtomicFiles.delete(file)).isFalse();
    assertThat(entries()).isEmpty();
  }

  @Test
  void privateDirectoriesAreOwnerOnly() throws IOException {
    Path nested = dir.resolve("a").resolve("b");

    AtomicFiles.createPrivateDirectories(nested);
    AtomicFiles.createPrivateDirectories(nested);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(nested)))
        .isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a"))))
        .isEqualTo("rwx------");
  }

  private List<Path> entries() throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.toList();
    }
  }
}

package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the Python AWS CLI ({@code aws --endpoint-url <mock> kms ...}) in a directory with test
 * credentials and none of the user's {@code ~/.aws} files.
 */
final class AwsCli {
  private final KmsMockServer server;
  private final Path directory;
  private final KmsCredentials credentials;

  AwsCli(KmsMockServer server, Path directory) {
    this(server, directory, KmsCredentials.defaults());
  }

  AwsCli(KmsMockServer server, Path directory, KmsCredentials credentials) {
    this.server = server;
    this.directory = directory;
    this.credentials = credentials;
  }

  /** Runs {@code aws kms ARGS...} against the server's home region. */
  Result kms(String... args) throws IOException, InterruptedException {
    return kmsIn(server.region(), args);
  }

  /** Runs {@code aws kms ARGS...} against one of the server's regions. */
  Result kmsIn(String region, String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(List.of("aws", "--endpoint-url", server.endpoint().toString(), "kms"));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).directory(directory.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("AWS_"));
    env.put("AWS_ACCESS_KEY_ID", credentials.accessKeyId());
    env.put("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey());
    env.put("AWS_DEFAULT_REGION", region);
    env.put("AWS_CONFIG_FILE", directory.resolve("no-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", directory.resolve("no-credentials").toString());
    env.put("AWS_PAGER", "");
    Process process = builder.start();
    process.getOutputStream().close();
    String output =
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }

  /**
   * Whether this CLI knows {@code aws kms <command>} (Debian's older CLI v2 lacks the 2024
   * operations).
   */
  boolean knows(String command) throws IOException, InterruptedException {
    Result help = kms(command, "help");
    return help.exit() == 0;
  }

  /** The exit status and the merged stdout and stderr of one CLI run. */
  record Result(int exit, String output) {
    String ok() {
      assertThat(exit).as("aws failed: " + output).isZero();
      return output;
    }

    Result failsWith(String... fragments) {
      assertThat(exit).as("aws should fail: " + output).isNotZero();
      assertThat(output).contains(fragments);
      return this;
    }
  }
}

package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nitro-emu policy lint FILE}: output and exit codes 0 (clean), 1 (warnings), 2 (unusable
 * file).
 */
class PolicyLintCommandTest {
  private static final String ROOT = "{\"AWS\": \"arn:aws:iam::000000000000:root\"}";

  @TempDir Path dir;

  private record Run(int exitCode, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(
            Map.of("NITRO_EMU_HOME", dir.resolve("home").toString()), dir, dir, Clock.systemUTC());
    int code = NitroEmu.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  private Path policy(String condition) throws IOException {
    return Files.writeString(
        dir.resolve("policy.json"),
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\":"
            + " \"enclave-only\", \"Effect\": \"Allow\", \"Principal\": "
            + ROOT
            + ", \"Action\": \"kms:Decrypt\","
            + " \"Resource\": \"*\", \"Condition\": "
            + condition
            + "}]}");
  }

  @Test
  void aCleanPolicyExitsZero() throws IOException {
    Path file =
        policy(
            "{\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \""
                + "0".repeat(96)
                + "\"}}");

    Run run = run("policy", "lint", "policy.json");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(file + ": no warnings" + System.lineSeparator());
    assertThat(run.err()).isEmpty();
  }

  @Test
  void warningsArePrintedOnePerLineAndExitOne() throws IOException {
    Path file =
        policy(
            "{\"StringEqualsIgnoreCase\": {}, \"ForAllValues:StringEquals\":"
                + " {\"kms:RecipientAttestation:PCR0\": \"abc\"}}");

    Run run = run("policy", "lint", "policy.json");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out().lines())
        .hasSize(3)
        .allSatisfy(line -> assertThat(line).startsWith(file + ": statement 'enclave-only': "))
        .anySatisfy(line -> assertThat(line).endsWith("[empty-condition]"))
        .anySatisfy(line -> assertThat(line).endsWith("[attestation-condition-without-document]"))
        .anySatisfy(line -> assertThat(line).endsWith("[attestation-value]"));
    assertThat(run.err()).isEmpty();
  }

  @Test
  void aMissingOrInvalidPolicyExitsTwoWithOneLine() throws IOException {
    Run missing = run("policy", "lint", "absent.json");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err())
        .isEqualTo(
            "nitro-emu: policy not found: " + dir.resolve("absent.json") + System.lineSeparator());

    Files.writeString(dir.resolve("bad.json"), "{\"Statement\": [{\"Effect\": \"Allow\"}]}");
    Run invalid = run("policy", "lint", "bad.json");
    assertThat(invalid.exitCode()).isEqualTo(2);
    assertThat(invalid.err())
        .isEqualTo(
            "nitro-emu: "
                + dir.resolve("bad.json")
                + ": not a valid key policy:"
                + " Policy contains a statement with no principal."
                + System.lineSeparator());
    assertThat(invalid.out()).isEmpty();
  }

  @Test
  void startRefusesAKmsHostThatIsNotAHostNameInOneLine() {
    Run run =
        run("start", "--state-dir", "state", "--kms-port", "0", "--kms-host", "*.example.com");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err())
        .startsWith("nitro-emu: start: not a host name or IP address: '*.example.com'")
        .doesNotContain("\tat ");
    assertThat(run.err().lines()).hasSize(1);
  }
}

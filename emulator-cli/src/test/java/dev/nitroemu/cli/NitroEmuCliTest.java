package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NitroEmuCliTest {
  private static final Path VECTORS =
      Path.of(System.getProperty("nitro.vectors.dir", "../test-vectors"));

  @TempDir Path dir;

  private Clock clock = Clock.systemUTC();

  /** One run of the command: exit code and what it printed. */
  record Run(int exitCode, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(
            Map.of("NITRO_EMU_HOME", dir.resolve("home").toString()), dir, dir, clock);
    int code = NitroEmu.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void attestThenVerifyWithDefaultCaAndNonce() {
    Run attest = run("attest", "--nonce", "01", "--out", "d.cbor");
    assertThat(attest.exitCode()).as(attest.err()).isZero();
    assertThat(dir.resolve("home/ca/root.pem")).exists();

    Run verify = run("verify", "d.cbor", "--root", "emulator", "--nonce", "01");
    assertThat(verify.exitCode()).as(verify.err()).isZero();
    assertThat(verify.out())
        .contains("OK:", "module_id:", "nonce:       1 bytes (01)", "encoding:    indefinite");
    assertThat(verify.out()).containsPattern("module_id:   i-[0-9a-f]{17}-enc[0-9a-f]{16}");
  }

  @Test
  void wrongNonceIsRefusedWithReason() {
    assertThat(run("attest", "--nonce", "01", "--out", "d.cbor").exitCode()).isZero();
    Run verify = run("verify", "d.cbor", "--nonce", "02");
    assertThat(verify.exitCode()).isEqualTo(1);
    assertThat(verify.err())
        .startsWith("nitro-emu: verification FAILED: NONCE_MISMATCH")
        .doesNotContain("\tat ");
  }

  @Test
  void pinnedCaDirectoryExportedRootVerifies() {
    assertThat(run("ca", "init", "--dir", "ca").exitCode()).isZero();
    Run again = run("ca", "init", "--dir", "ca");
    assertThat(again.out()).contains("kept existing");
    assertThat(run("attest", "--ca", "ca", "--user-data", "cafe", "--out", "d.cbor").exitCode())
        .isZero();
    assertThat(run("ca", "export", "--dir", "ca", "--out", "root.pem").exitCode()).isZero();
    Run verify = run("verify", "d.cbor", "--root", "root.pem");
    assertThat(verify.exitCode()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("user_data:   2 bytes (cafe)");

    // A document signed under another CA does not verify against this root.
    assertThat(run("attest", "--out", "other.cbor").exitCode()).isZero();
    Run foreign = run("verify", "other.cbor", "--root", "root.pem");
    assertThat(foreign.exitCode()).isEqualTo(1);
    assertThat(foreign.err()).contains("UNTRUSTED_CHAIN");
  }

  @Test
  void attestWithMissingCaDirectoryFailsWithHint() {
    Run attest = run("attest", "--ca", "nowhere", "--out", "d.cbor");
    assertThat(attest.exitCode()).isEqualTo(1);
    assertThat(attest.err()).contains("no emulator CA in").contains("ca init");
    assertThat(attest.err().lines().count()).isEqualTo(1);
  }

  static Stream<String> realDocuments() throws IOException {
    try (Stream<Path> files = Files.list(VECTORS.resolve("real-attestation"))) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".b64") || n.endsWith(".hex"))
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest
  @MethodSource("realDocuments")
  void realDocumentsVerifyAgainstAwsRootAtTheirTime(String name) {
    Path doc = VECTORS.resolve("real-attestation").resolve(name);
    Run verify = run("verify", doc.toString(), "--root", "aws", "--at", "doc");
    assertThat(verify.exitCode()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("aws.nitro-enclaves").contains(" 0: ");
  }

  @Test
  void realDocumentIsExpiredNowAndRefusedBeforeItsTime() {
    Path doc = VECTORS.resolve("real-attestation/blocky-nitrite_nitro_attestation_2024-09-07.b64");
    Run now = run("verify", doc.toString(), "--root", "aws");
    assertThat(now.exitCode()).isEqualTo(1);
    assertThat(now.err()).contains("CERTIFICATE_EXPIRED");
    Run before = run("verify", doc.toString(), "--root", "aws", "--at", "2024-09-06T00:00:00Z");
    assertThat(before.exitCode()).isEqualTo(1);
    assertThat(before.err()).contains("CERTIFICATE_NOT_YET_VALID");
  }

  @Test
  void tamperedRealDocumentIsRefused() throws IOException {
    Path source = VECTORS.resolve("real-attestation/tempo_aws_attestation_2026-01-03.b64");
    byte[] raw = Base64.getMimeDecoder().decode(Files.readString(source).strip());
    raw[raw.length - 10] ^= 0x01; // inside the 96-byte signature
    Files.write(dir.resolve("tampered.cbor"), raw);
    Run verify = run("verify", "tampered.cbor", "--root", "aws", "--at", "doc");
    assertThat(verify.exitCode()).isEqualTo(1);
    assertThat(verify.err()).contains("BAD_SIGNATURE");
  }

  @Test
  void emulatorDocumentDoesNotVerifyAgainstAwsRoot() {
    assertThat(run("attest", "--out", "d.cbor").exitCode()).isZero();
    Run verify = run("verify", "d.cbor", "--root", "aws");
    assertThat(verify.exitCode()).isEqualTo(1);
    assertThat(verify.err()).contains("UNTRUSTED_CHAIN");
  }

  @Test
  void documentVerifiesAtItsTimeAfterCertificatesExpired() {
    assertThat(run("attest", "--out", "d.cbor").exitCode()).isZero();
    clock = Clock.fixed(Instant.now().plus(Duration.ofDays(400)), ZoneOffset.UTC);
    assertThat(run("verify", "d.cbor").err()).contains("CERTIFICATE_EXPIRED");
    assertThat(run("verify", "d.cbor", "--at", "doc").exitCode()).isZero();
  }

  @Test
  void pcrsOfNitroCliProfilesMatchTheHardwareDocument() {
    for (String profile : new String[] {"build-enclave-stdout.txt", "describe-eif.json"}) {
      Run pcrs = run("pcrs", "--profile", VECTORS.resolve("profiles").resolve(profile).toString());
      assertThat(pcrs.exitCode()).as(pcrs.err()).isZero();
      assertThat(pcrs.out())
          .contains(
              "PCR0  e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a")
          .contains("PCR15 " + "00".repeat(48));
    }
    Run debug = run("pcrs", "--debug", "--instance-id", "i-0a22e5c5f24d22174");
    assertThat(debug.out())
        .contains("PCR0  " + "00".repeat(48))
        .contains(
            "PCR4  45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a786ad1c10102b955799a9dc96b44");
  }

  @Test
  void badArgumentsGiveOneLineAndExitTwo() {
    Run badHex = run("attest", "--nonce", "xyz", "--out", "d.cbor");
    assertThat(badHex.exitCode()).isEqualTo(2);
    assertThat(badHex.err()).contains("--nonce: not valid hex").doesNotContain("Exception");

    Run badTime = run("verify", "d.cbor", "--at", "yesterday");
    assertThat(badTime.exitCode()).isEqualTo(2);

    Run unknown = run("frobnicate");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("Unmatched argument");

    Run missingFile = run("verify", "absent.cbor");
    assertThat(missingFile.exitCode()).isEqualTo(1);
    assertThat(missingFile.err())
        .isEqualTo(
            "nitro-emu: document not found: "
                + dir.resolve("absent.cbor")
                + System.lineSeparator());
  }

  @Test
  void usageErrorsAreOneLineNamingTheOptionWithSuggestions() {
    Run typo = run("start", "--dettach");
    assertThat(typo.exitCode()).isEqualTo(2);
    assertThat(typo.err().lines())
        .containsExactly(
            "nitro-emu start: Unknown option: '--dettach' (did you mean"
                + " --detach or --debug?); see 'nitro-emu start --help'");

    Run command = run("statu");
    assertThat(command.exitCode()).isEqualTo(2);
    assertThat(command.err().lines())
        .singleElement()
        .asString()
        .contains("'statu'")
        .contains("did you mean status");

    Run missing = run("attest");
    assertThat(missing.err().lines())
        .containsExactly(
            "nitro-emu attest: Missing required option: '--out=FILE'; see 'nitro-emu attest --help'");

    Run unsetVariable = run("start", "--detach", "--state-dir", "");
    assertThat(unsetVariable.exitCode()).isEqualTo(2);
    assertThat(unsetVariable.err().lines())
        .containsExactly(
            "nitro-emu: --state-dir: empty (an unset shell variable?);" + " give a directory");
    assertThat(dir.resolve("stack.log")).doesNotExist();

    Run badValue = run("start", "--kms-port", "many");
    assertThat(badValue.exitCode()).isEqualTo(2);
    assertThat(badValue.err().lines())
        .singleElement()
        .asString()
        .contains("'--kms-port'")
        .contains("'many'");
  }

  @Test
  void versionIsTheProjectVersionAndHelpSummarisesEveryCommandIncludingKms() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    String projectVersion =
        pom.substring(pom.indexOf("<version>") + "<version>".length(), pom.indexOf("</version>"));
    Run version = run("-V");
    assertThat(version.exitCode()).isZero();
    assertThat(version.out().lines().findFirst()).contains("nitro-emu " + projectVersion);

    Run help = run("--help");
    assertThat(help.out().replaceAll("\\s+", " "))
        .contains("AWS KMS with attestation-aware key policies");
    for (String command :
        new String[] {
          "start",
          "attest",
          "verify",
          "ca",
          "pcrs",
          "vsock-proxy",
          "status",
          "stop",
          "env",
          "audit",
          "exec"
        }) {
      assertThat(help.out()).containsPattern("(?m)^  " + command + " +[A-Z]");
    }
    assertThat(run("start", "--help").out())
        .contains("KMS keys, aliases and policies persist")
        .contains("--kms-keys");
  }

  @Test
  void garbageDocumentIsRefusedWithoutStackTrace() throws IOException {
    Files.write(
        dir.resolve("junk.bin"),
        "hello, this is not a document".getBytes(StandardCharsets.US_ASCII));
    Run verify = run("verify", "junk.bin");
    assertThat(verify.exitCode()).isEqualTo(1);
    assertThat(verify.err()).startsWith("nitro-emu: ").doesNotContain("\tat ");
    assertThat(verify.err().lines().count()).isEqualTo(1);
  }

  @Test
  void vsockProxyRefusesDestinationsOutsideTheAllowlist() throws IOException {
    Files.writeString(
        dir.resolve("allow.yaml"),
        "allowlist:\n- {address: kms.us-east-1.amazonaws.com, port: 443}\n");
    Run refused = run("vsock-proxy", "8000", "127.0.0.1", "9", "--config", "allow.yaml");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err())
        .contains("The given address and port are not allowed")
        .doesNotContain("\tat ");

    Run noConfig = run("vsock-proxy", "8000", "127.0.0.1", "9", "--config", "missing.yaml");
    assertThat(noConfig.exitCode()).isEqualTo(1);
    assertThat(noConfig.err()).contains("Could not open the file");

    Run badProxy = run("start", "--proxy", "8000:nohost");
    assertThat(badProxy.exitCode()).isEqualTo(2);
    assertThat(badProxy.err()).contains("--proxy: expected LOCAL_PORT:HOST:PORT");
  }

  @Test
  void kmsProxyWorkersOutOfRangeIsAUsageErrorBeforeAnythingStarts() {
    Run none = run("start", "--kms-proxy-workers", "0");
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err())
        .contains("--kms-proxy-workers: must be in 1..8192, was 0")
        .doesNotContain("\tat ");
    assertThat(dir.resolve("home").resolve("state")).doesNotExist();
  }
}

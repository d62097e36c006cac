package dev.nitroemu.languages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.NsmDescription;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What an enclave program of the matrix printed (its stdout, one line per step of the module
 * README's program contract) and its exit status, with the contract's checks written once for every
 * language and both modes.
 */
final class ProgramTranscript {

  /** The data every program extends PCR16 with: {@code b"nitro-emu"}. */
  static final byte[] EXTEND_DATA = "nitro-emu".getBytes(StandardCharsets.US_ASCII);

  /** The contract's steps, by the first word of their line, in order. */
  static final List<String> STEPS =
      List.of(
          "listening",
          "describe",
          "extend",
          "lock",
          "extend-after-lock",
          "random",
          "attestation",
          "client",
          "echo-client",
          "server",
          "echo-server",
          "done");

  /** Bytes each side of the echo sends: the program's client and the parent's client. */
  static final int ECHO_BYTES = 65536;

  private final int exitCode;
  private final List<String> lines;
  private final Map<String, Map<String, String>> steps = new LinkedHashMap<>();
  private final List<String> order = new ArrayList<>();
  private final String diagnostics;

  /**
   * A finished run: {@code exitCode}, its stdout {@code lines}, and {@code diagnostics} (stderr or
   * console) shown when a check fails.
   */
  ProgramTranscript(int exitCode, List<String> lines, String diagnostics) {
    this.exitCode = exitCode;
    this.lines = List.copyOf(lines);
    this.diagnostics = diagnostics;
    for (String line : lines) {
      String[] words = line.strip().split(" ");
      if (!STEPS.contains(words[0]) && !words[0].equals("error")) {
        continue; // a container's console also carries the supervisor's own lines
      }
      Map<String, String> fields = new LinkedHashMap<>();
      for (int i = 1; i < words.length; i++) {
        int equals = words[i].indexOf('=');
        fields.put(
            equals < 0 ? words[i] : words[i].substring(0, equals),
            equals < 0 ? "" : words[i].substring(equals + 1));
      }
      steps.putIfAbsent(words[0], fields);
      order.add(words[0]);
    }
  }

  /** The value of {@code field} on the line of {@code step}; fails when there is none. */
  String field(String step, String field) {
    assertThat(steps.containsKey(step)).as("a line of step %s in %s", step, this).isTrue();
    assertThat(steps.get(step).containsKey(field))
        .as("field %s of step %s in %s", field, step, this)
        .isTrue();
    return steps.get(step).get(field);
  }

  /** Every step's line once, in the contract's order, then exit status 0 and no error line. */
  void assertCompleted() {
    assertThat(steps.containsKey("error")).as("an error line in %s", this).isFalse();
    assertThat(order).as("the steps' lines, in order, in %s", this).isEqualTo(STEPS);
    assertThat(exitCode).as("exit status of %s", this).isZero();
  }

  /**
   * Steps 2-6 against the NSM the program talked to: DescribeNSM as the NSM describes itself
   * (before the lock), PCR16 = SHA384(48 zero bytes || "nitro-emu") from zero, {@code
   * ReadOnlyIndex} after the lock, 1 to 256 random bytes (not all zero), and an attestation that
   * verifies against the emulator root with the nonce and that PCR16.
   */
  void assertNsmSteps(NsmDescription before, AttestationVerifier verifier, byte[] nonce)
      throws Exception {
    assertThat(field("describe", "digest")).isEqualTo(before.digest().wireName());
    assertThat(field("describe", "max_pcrs")).isEqualTo(Integer.toString(before.maxPcrs()));
    assertThat(field("describe", "module_id")).isEqualTo(before.moduleId());
    assertThat(field("describe", "locked"))
        .isEqualTo(
            before.lockedPcrs().stream().map(String::valueOf).collect(Collectors.joining(",")));

    byte[] extended = extendedFromZero();
    assertThat(field("extend", "pcr")).isEqualTo("16");
    assertThat(field("extend", "data")).isEqualTo(HexFormat.of().formatHex(EXTEND_DATA));
    assertThat(field("extend", "value")).isEqualTo(HexFormat.of().formatHex(extended));
    assertThat(field("lock", "pcr")).isEqualTo("16");
    assertThat(field("extend-after-lock", "error")).isEqualTo(ErrorCode.READ_ONLY_INDEX.wireName());
    byte[] random = HexFormat.of().parseHex(field("random", "bytes"));
    assertThat(random.length).as("GetRandom's length (nsm-api: 1..256)").isBetween(1, 256);
    assertThat(random).as("GetRandom's bytes").isNotEqualTo(new byte[random.length]);

    byte[] document = Base64.getDecoder().decode(field("attestation", "doc"));
    VerifiedAttestation verified =
        verifier.verify(document, VerificationOptions.defaults().expectNonce(nonce));
    assertThat(verified.document().nonce()).isEqualTo(nonce);
    assertThat(verified.document().pcr(16)).as("PCR16 in the attestation").isEqualTo(extended);
  }

  /**
   * Steps 7-8: the program's echo with the parent at {@code 3:echoPort} (from the enclave's CID)
   * and the parent's connection into {@code listenPort} (from CID 3), both of {@link #ECHO_BYTES}.
   */
  void assertVsockSteps(long enclaveCid, long echoPort, long listenPort) {
    assertThat(field("listening", "port")).isEqualTo(Long.toString(listenPort));
    assertThat(field("client", "local_cid")).as("getsockname's CID").isEqualTo(str(enclaveCid));
    assertThat(field("client", "peer_cid")).as("getpeername's CID").isEqualTo("3");
    assertThat(field("client", "peer_port")).isEqualTo(str(echoPort));
    assertThat(field("echo-client", "bytes")).isEqualTo(str(ECHO_BYTES));
    assertThat(steps.get("echo-client").containsKey("ok")).as(toString()).isTrue();
    assertThat(field("server", "peer_cid")).as("accept's CID").isEqualTo("3");
    assertThat(field("server", "local_port")).isEqualTo(str(listenPort));
    assertThat(field("echo-server", "bytes")).isEqualTo(str(ECHO_BYTES));
    assertThat(steps.get("echo-server").containsKey("ok")).as(toString()).isTrue();
  }

  /** SHA384(48 zero bytes || "nitro-emu"): PCR16 extended once from zero. */
  static byte[] extendedFromZero() throws Exception {
    MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
    sha384.update(new byte[48]);
    return sha384.digest(EXTEND_DATA);
  }

  /** Byte {@code i} of the echo patterns: {@code i % 251}, as the contract's program client. */
  static byte[] pattern(int size) {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) (i % 251);
    }
    return bytes;
  }

  private static String str(long value) {
    return Long.toString(value);
  }

  @Override
  public String toString() {
    return "exit "
        + exitCode
        + ", stdout:\n  "
        + lines.stream()
            .map(line -> line.length() <= 200 ? line : line.substring(0, 200) + "...")
            .collect(Collectors.joining("\n  "))
        + "\ndiagnostics:\n"
        + diagnostics;
  }
}

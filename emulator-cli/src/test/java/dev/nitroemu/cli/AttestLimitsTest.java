package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.CoseSign1;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nitro-emu attest}: the 1024-byte field limit and what {@code --public-key} accepts. */
class AttestLimitsTest {
  private static KeyPair rsa;
  private static KeyPair ec;

  @TempDir Path dir;

  private record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
    rsaGenerator.initialize(2048);
    rsa = rsaGenerator.generateKeyPair();
    KeyPairGenerator ecGenerator = KeyPairGenerator.getInstance("EC");
    ecGenerator.initialize(new ECGenParameterSpec("secp384r1"));
    ec = ecGenerator.generateKeyPair();
  }

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(
            Map.of("NITRO_EMU_HOME", dir.resolve("home").toString()), dir, dir, Clock.systemUTC());
    int code = NitroEmu.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  private AttestationDocument document(String file) throws Exception {
    return AttestationDocument.decodePayload(
        CoseSign1.decode(Files.readAllBytes(dir.resolve(file))).payload());
  }

  private void assertOneLineRefusal(Run run, String message) {
    assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("nitro-emu: " + message + System.lineSeparator());
    assertThat(dir.resolve("d.cbor")).doesNotExist();
  }

  @Test
  void fieldsOfExactly1024BytesAreSignedAndOneMoreIsRefusedInOneLine() throws Exception {
    String max = "ab".repeat(1024);
    Files.write(dir.resolve("big.der"), new byte[1025]);

    Run ok = run("attest", "--user-data", max, "--nonce", max, "--out", "ok.cbor");
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(document("ok.cbor").userData()).hasSize(1024);

    assertOneLineRefusal(
        run("attest", "--user-data", max + "ab", "--out", "d.cbor"),
        "--user-data: 1025 bytes; the NSM accepts at most 1024 (InputTooLarge)");
    assertOneLineRefusal(
        run("attest", "--nonce", max + "ab", "--out", "d.cbor"),
        "--nonce: 1025 bytes; the NSM accepts at most 1024 (InputTooLarge)");
    assertOneLineRefusal(
        run("attest", "--public-key", "big.der", "--out", "d.cbor"),
        "--public-key: 1025 bytes; the NSM accepts at most 1024 (InputTooLarge)");
  }

  @Test
  void privateKeysAreRefusedInEveryCommonEncoding() throws Exception {
    byte[] pkcs8 = rsa.getPrivate().getEncoded();
    byte[] pkcs1 =
        PrivateKeyInfo.getInstance(pkcs8).parsePrivateKey().toASN1Primitive().getEncoded();
    byte[] sec1 =
        PrivateKeyInfo.getInstance(ec.getPrivate().getEncoded())
            .parsePrivateKey()
            .toASN1Primitive()
            .getEncoded();
    Map<String, byte[]> files =
        Map.of(
            "pkcs8.pem", pem("PRIVATE KEY", pkcs8).getBytes(StandardCharsets.US_ASCII),
            "pkcs1.pem", pem("RSA PRIVATE KEY", pkcs1).getBytes(StandardCharsets.US_ASCII),
            "ec.pem",
                ("-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n"
                        + pem("EC PRIVATE KEY", sec1))
                    .getBytes(StandardCharsets.US_ASCII),
            "encrypted.pem",
                pem("ENCRYPTED PRIVATE KEY", new byte[] {1}).getBytes(StandardCharsets.US_ASCII),
            "pkcs8.der", pkcs8,
            "pkcs1.der", pkcs1,
            "sec1.der", sec1,
            "ec-pkcs8.der", ec.getPrivate().getEncoded());
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      Files.write(dir.resolve(file.getKey()), file.getValue());
      assertOneLineRefusal(
          run("attest", "--public-key", file.getKey(), "--out", "d.cbor"),
          "--public-key "
              + dir.resolve(file.getKey())
              + ": that is a private key; pass the public key");
    }
  }

  @Test
  void publicKeysInDerOrPemBecomeTheDerSubjectPublicKeyInfo() throws Exception {
    byte[] spki = rsa.getPublic().getEncoded();
    byte[] pkcs1 = SubjectPublicKeyInfo.getInstance(spki).parsePublicKey().getEncoded();
    Files.write(dir.resolve("key.der"), spki);
    Files.writeString(dir.resolve("key.pem"), pem("PUBLIC KEY", spki));
    Files.writeString(dir.resolve("rsa.pem"), pem("RSA PUBLIC KEY", pkcs1));
    Files.write(dir.resolve("ec.der"), ec.getPublic().getEncoded());

    for (String file : new String[] {"key.der", "key.pem", "rsa.pem"}) {
      Run run = run("attest", "--public-key", file, "--out", file + ".cbor");
      assertThat(run.exitCode()).as(run.err()).isZero();
      assertThat(document(file + ".cbor").publicKey()).as(file).isEqualTo(spki);
    }
    assertThat(run("attest", "--public-key", "ec.der", "--out", "ec.cbor").exitCode()).isZero();
    assertThat(document("ec.cbor").publicKey()).isEqualTo(ec.getPublic().getEncoded());
  }

  @Test
  void otherBytesAreEmbeddedAsGivenAndPemWithoutAPublicKeyIsRefused() throws Exception {
    Files.writeString(dir.resolve("dummy.bin"), "dummy");
    Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", new byte[] {0x30, 0}));

    assertThat(run("attest", "--public-key", "dummy.bin", "--out", "dummy.cbor").exitCode())
        .isZero();
    assertThat(document("dummy.cbor").publicKey())
        .isEqualTo("dummy".getBytes(StandardCharsets.US_ASCII));
    assertOneLineRefusal(
        run("attest", "--public-key", "cert.pem", "--out", "d.cbor"),
        "--public-key "
            + dir.resolve("cert.pem")
            + ": the PEM file holds no PUBLIC KEY block (found CERTIFICATE)");
  }
}

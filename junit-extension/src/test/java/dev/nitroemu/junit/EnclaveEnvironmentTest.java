package dev.nitroemu.junit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.model.KmsException;

@Timeout(60)
class EnclaveEnvironmentTest {

  private static final HexFormat HEX = HexFormat.of();
  private static final String BUILD_ENCLAVE_PCR0 =
      "e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a";

  @Test
  void emulatedEnvironmentAttestsDocumentsItsVerifierAccepts() throws Exception {
    try (EnclaveEnvironment env = EnclaveEnvironment.builder().mode(NitroMode.EMULATED).start()) {
      byte[] nonce = "nonce-1".getBytes(UTF_8);
      byte[] document = env.nsm().attestation(null, nonce, null);

      VerifiedAttestation verified =
          env.verifier().verify(document, VerificationOptions.defaults().expectNonce(nonce));

      assertThat(verified.root()).isEqualTo(env.info().rootCertificate());
      assertThat(verified.document().pcrs().get(0)).isEqualTo(env.info().pcr(0));
      assertThat(env.mode()).isEqualTo(NitroMode.EMULATED);
    }
  }

  @Test
  void profileResourceSetsTheBootPcrs() throws Exception {
    try (EnclaveEnvironment env =
        EnclaveEnvironment.builder().profile("profiles/build-enclave.txt").start()) {
      assertThat(env.info().pcrHex(0)).isEqualTo(BUILD_ENCLAVE_PCR0);
      assertThat(HEX.formatHex(env.nsm().describePcr(0).data())).isEqualTo(BUILD_ENCLAVE_PCR0);
    }
  }

  @Test
  void explicitPcrsOverrideTheProfile() throws Exception {
    String pcr8 = "ab".repeat(48);
    try (EnclaveEnvironment env =
        EnclaveEnvironment.builder()
            .profile("profiles/build-enclave.txt")
            .pcrs("8=" + pcr8, "PCR1=" + "cd".repeat(48))
            .start()) {
      assertThat(env.info().pcrHex(8)).isEqualTo(pcr8);
      assertThat(env.info().pcrHex(1)).isEqualTo("cd".repeat(48));
      assertThat(env.info().pcrHex(0)).isEqualTo(BUILD_ENCLAVE_PCR0);
    }
  }

  @Test
  void debugModeAttestsZeroImagePcrsButReportsTheMeasurement() throws Exception {
    try (EnclaveEnvironment env =
        EnclaveEnvironment.builder().profile("profiles/build-enclave.txt").debug(true).start()) {
      assertThat(env.info().debug()).isTrue();
      assertThat(env.nsm().describePcr(0).data()).isEqualTo(new byte[48]);
      assertThat(env.info().pcrHex(0)).isEqualTo(BUILD_ENCLAVE_PCR0);
    }
  }

  @Test
  void malformedPcrEntryIsRefusedNamingTheEntry() {
    assertThatThrownBy(() -> EnclaveEnvironment.builder().pcrs("0=abc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'0=abc'")
        .hasMessageContaining("96 hex digits");
    assertThatThrownBy(() -> EnclaveEnvironment.builder().pcrs("16=" + "00".repeat(48)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..15");
  }

  @Test
  void missingProfileResourceNamesWhereToPutIt() {
    assertThatThrownBy(() -> EnclaveEnvironment.builder().profile("profiles/nope.json").start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("enclave profile 'profiles/nope.json' is not on the classpath")
        .hasMessageContaining("src/test/resources/profiles/nope.json");
  }

  @Test
  void declaredKeyDecryptsOnlyInsideTheEnclaveWithTheProfilesPcr0() throws Exception {
    try (EnclaveEnvironment env =
        EnclaveEnvironment.builder().kmsKeys("kms/enclave-secret.json").start()) {
      String keyId = env.info().kmsKeyId("enclave-secret");
      SdkBytes blob =
          env.kmsClient()
              .encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("db-password")))
              .ciphertextBlob();

      assertThat(env.enclaveKmsClient().decrypt(blob.asByteArray()))
          .asString(UTF_8)
          .isEqualTo("db-password");
      assertThatThrownBy(() -> env.kmsClient().decrypt(r -> r.ciphertextBlob(blob)))
          .satisfies(EnclaveEnvironmentTest::isAccessDenied);
    }
  }

  @Test
  void aliasResolvesToTheDeclaredKeyAndCarriesItsPolicy() throws Exception {
    try (EnclaveEnvironment env =
        EnclaveEnvironment.builder().kmsKeys("kms/enclave-secret.json").start()) {
      String keyId = env.info().kmsKeyId("alias/enclave-secret");
      String policy =
          env.kmsClient().getKeyPolicy(r -> r.keyId(keyId)).policy(); // GetKeyPolicy takes no alias

      assertThat(
              env.kmsClient()
                  .describeKey(r -> r.keyId("alias/enclave-secret"))
                  .keyMetadata()
                  .keyId())
          .isEqualTo(keyId);
      assertThat(policy).contains(env.info().pcrHex(0)).doesNotContain("${PCR0}");
    }
  }

  @Test
  void unknownAliasNamesTheDeclaredOnes() throws Exception {
    try (EnclaveEnvironment env =
        EnclaveEnvironment.builder().kmsKeys("kms/enclave-secret.json").start()) {
      assertThatThrownBy(() -> env.info().kmsKeyId("other"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'other'")
          .hasMessageContaining("[enclave-secret]");
    }
  }

  @Test
  void enclaveWithAnotherImageIsDeniedTheSecret() throws Exception {
    try (EnclaveEnvironment env =
        EnclaveEnvironment.builder().kmsKeys("kms/enclave-secret.json").start()) {
      SdkBytes blob =
          env.kmsClient()
              .encrypt(
                  r ->
                      r.keyId(env.info().kmsKeyId("enclave-secret"))
                          .plaintext(SdkBytes.fromUtf8String("db-password")))
              .ciphertextBlob();
      byte[] otherImage = EnclaveProfile.extendFromZero("other image".getBytes(UTF_8));
      SoftwareNsm imposter =
          env.controls()
              .bootEnclave(env.controls().profile().toBuilder().pcr(0, otherImage).build());

      try (EnclaveKmsClient client =
          EnclaveKmsClient.builder().nsm(imposter).kmsClient(env.kmsClient()).build()) {
        assertThatThrownBy(() -> client.decrypt(blob.asByteArray()))
            .satisfies(EnclaveEnvironmentTest::isAccessDenied);
      }
    }
  }

  @Test
  void closeReleasesTheKmsPortAndTheVsockListeners() throws Exception {
    EnclaveEnvironment env = EnclaveEnvironment.builder().start();
    int kmsPort = env.info().kmsEndpoint().getPort();
    VsockListener listener =
        env.transport().listen(VsockAddress.of(EnclaveEnvironment.EMULATED_ENCLAVE_CID, 5005));

    env.close();
    env.close(); // idempotent

    assertThat(listener.isClosed()).isTrue();
    KmsPorts.assertNotServingKms(kmsPort);
  }

  @Test
  void pinnedCaDirectoryIsTheRootOfEveryDocument(@TempDir Path dir) throws Exception {
    EmulatorRootCa pinned = EmulatorRootCa.generate(Clock.systemUTC());
    pinned.save(dir);

    try (EnclaveEnvironment env = EnclaveEnvironment.builder().caDirectory(dir).start()) {
      assertThat(env.info().rootCertificate()).isEqualTo(pinned.certificate());
      assertThat(env.verifier().verify(env.nsm().attestation(null, null, null)).root())
          .isEqualTo(pinned.certificate());
    }
  }

  @Test
  void missingCaDirectorySaysHowToCreateOne(@TempDir Path dir) {
    Path missing = dir.resolve("no-ca");
    assertThatThrownBy(() -> EnclaveEnvironment.builder().caDirectory(missing).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("caDirectory")
        .hasMessageContaining("nitro-emu ca init --dir " + missing);
  }

  @Test
  void environmentsShareNothing() throws Exception {
    try (EnclaveEnvironment a = EnclaveEnvironment.builder().start();
        EnclaveEnvironment b = EnclaveEnvironment.builder().start()) {
      a.nsm().extendPcr(16, "only a".getBytes(UTF_8));

      assertThat(b.nsm().describePcr(16).data()).isEqualTo(new byte[48]);
      assertThat(a.info().rootCertificate()).isNotEqualTo(b.info().rootCertificate());
      assertThat(a.info().kmsEndpoint()).isNotEqualTo(b.info().kmsEndpoint());
      assertThat(a.nsm().describeNsm().moduleId()).isNotEqualTo(b.nsm().describeNsm().moduleId());
    }
  }

  @Test
  void vsockTransportIsTheEnclavesOwnNetwork() throws Exception {
    try (EnclaveEnvironment env = EnclaveEnvironment.builder().start();
        VsockListener parent =
            env.transport().listen(VsockAddress.of(VsockAddress.CID_PARENT, 7000));
        VsockConnection connection =
            env.transport().connect(VsockAddress.of(VsockAddress.CID_PARENT, 7000));
        VsockConnection accepted = parent.accept()) {
      assertThat(connection.localAddress().cid())
          .isEqualTo(EnclaveEnvironment.EMULATED_ENCLAVE_CID);
      assertThat(accepted.remoteAddress().cid()).isEqualTo(EnclaveEnvironment.EMULATED_ENCLAVE_CID);
    }
  }

  @Test
  void realModeOutsideAnEnclaveFailsAfterCheckingTheSettings() {
    EnclaveEnvironment.Builder builder =
        EnclaveEnvironment.builder()
            .mode(NitroMode.REAL)
            .settings(
                NitroSettings.of(
                    key -> key.equals("nitro.kms.region") ? "eu-west-1" : null, key -> null));

    assertThatThrownBy(builder::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nitro.mode is real")
        .hasMessageContaining("set nitro.mode=emulated");
  }

  @Test
  void realModeWithoutRegionNamesTheSettingBeforeTouchingDevices() {
    EnclaveEnvironment.Builder builder =
        EnclaveEnvironment.builder()
            .mode(NitroMode.REAL)
            .kmsKeys("kms/enclave-secret.json")
            .settings(NitroSettings.of(key -> null, key -> null));

    assertThatThrownBy(builder::start)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-Dnitro.kms.region=")
        .hasMessageContaining("NITRO_KMS_REGION")
        .hasMessageContaining("-Dnitro.kms.key.enclave-secret=")
        .hasMessageContaining("NITRO_KMS_KEY_ENCLAVE_SECRET");
  }

  static void isAccessDenied(Throwable thrown) {
    assertThat(thrown).isInstanceOf(KmsException.class);
    assertThat(((KmsException) thrown).awsErrorDetails().errorCode())
        .isEqualTo("AccessDeniedException");
  }
}

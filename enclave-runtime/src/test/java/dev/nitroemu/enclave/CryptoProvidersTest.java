package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.internal.BcP384Provider;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;

/**
 * The provider choice as the runtime sees it: this module's class path has no ACCP (an enclave
 * application must not need it), so {@code auto} is JCA and forcing {@code accp} is a named error.
 * Both providers at work are tested in emulator-nsm, which brings ACCP.
 */
class CryptoProvidersTest {

  @Test
  void withoutAccpAutoIsJcaAndForcingAccpSaysWhy() {
    assertThat(CryptoProviders.accpIfAvailable()).isEmpty();
    assertThat(CryptoProviders.accpUnavailableReason())
        .get()
        .asString()
        .contains("not on the class path");
    assertThat(CryptoProviders.from(settings(Map.of())).isAccp()).isFalse();
    assertThat(CryptoProviders.from(settings(Map.of(CryptoProviders.PROPERTY, "auto"))).name())
        .isEqualTo("jca");
    assertThatThrownBy(
            () -> CryptoProviders.from(settings(Map.of(CryptoProviders.PROPERTY, "accp"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nitro.crypto.provider=accp")
        .hasMessageContaining("AmazonCorrettoCryptoProvider");
    assertThatThrownBy(CryptoProviders::accp).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theEnvironmentVariableForcesJcaAndABadValueIsNamed() {
    NitroSettings fromEnvironment =
        NitroSettings.of(name -> null, Map.of("NITRO_CRYPTO_PROVIDER", "jca")::get);
    assertThat(CryptoProviders.from(fromEnvironment)).isSameAs(CryptoProviders.jca());
    assertThat(CryptoProviders.from(settings(Map.of(CryptoProviders.PROPERTY, "JDK"))))
        .isSameAs(CryptoProviders.jdk());
    assertThatThrownBy(
            () -> CryptoProviders.from(settings(Map.of(CryptoProviders.PROPERTY, "openssl"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "nitro.crypto.provider (or NITRO_CRYPTO_PROVIDER) must be auto, accp, jca or jdk, was 'openssl'");
  }

  @Test
  void jcaHandsOutTheJdkProvidersAndKeepsKeysAsTheyAre() throws Exception {
    CryptoProviders jca = CryptoProviders.jca();
    KeyPair ec = jca.keyPairGenerator("EC").generateKeyPair();
    Signature signer = jca.signature("SHA384withECDSAinP1363Format");
    assertThat(signer.getProvider().getName()).isEqualTo(BcP384Provider.NAME);
    assertThat(jca.signature("SHA384withECDSA").getProvider().getName()).isEqualTo("SunEC");
    assertThat(jca.ownPrivateKey(ec.getPrivate())).isSameAs(ec.getPrivate());
    assertThat(jca.ownPublicKey(ec.getPublic())).isSameAs(ec.getPublic());
    assertThat(jca.cipher("AES/GCM/NoPadding").getProvider().getName()).isEqualTo("SunJCE");
    assertThat(jca.mac("HmacSHA256").getAlgorithm()).isEqualTo("HmacSHA256");
    assertThat(jca.messageDigest("SHA-384").getDigestLength()).isEqualTo(48);
    assertThat(Cipher.getInstance("RSA/ECB/OAEPPadding").getProvider())
        .isEqualTo(jca.cipher("RSA/ECB/OAEPPadding").getProvider());
    assertThat(jca.description()).contains("JCA").contains("BouncyCastle");
  }

  @Test
  void jdkIsTheJdkAloneSunEcForEs384Too() throws Exception {
    CryptoProviders jdk = CryptoProviders.jdk();
    assertThat(jdk.name()).isEqualTo("jdk");
    assertThat(jdk.isAccp()).isFalse();
    assertThat(jdk.signature("SHA384withECDSAinP1363Format").getProvider().getName())
        .isEqualTo("SunEC");
    assertThat(CryptoProviders.jca().name()).isEqualTo("jca");
  }

  @Test
  void signaturesFromJcaAndJdkVerifyUnderTheOther() throws Exception {
    KeyPairGenerator generator = CryptoProviders.jdk().keyPairGenerator("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair ec = generator.generateKeyPair();
    byte[] message = "Sig_structure".getBytes(StandardCharsets.US_ASCII);
    for (CryptoProviders signing : List.of(CryptoProviders.jca(), CryptoProviders.jdk())) {
      Signature signer = signing.signature("SHA384withECDSAinP1363Format");
      signer.initSign(ec.getPrivate());
      signer.update(message);
      byte[] signature = signer.sign();
      assertThat(signature).hasSize(96);
      for (CryptoProviders verifying : List.of(CryptoProviders.jca(), CryptoProviders.jdk())) {
        Signature verifier = verifying.signature("SHA384withECDSAinP1363Format");
        verifier.initVerify(ec.getPublic());
        verifier.update(message);
        assertThat(verifier.verify(signature)).as(signing + " -> " + verifying).isTrue();
      }
    }
  }

  private static NitroSettings settings(Map<String, String> properties) {
    return NitroSettings.of(properties::get, name -> null);
  }
}

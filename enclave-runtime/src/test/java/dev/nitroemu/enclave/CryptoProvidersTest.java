package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.Signature;
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
    assertThatThrownBy(
            () -> CryptoProviders.from(settings(Map.of(CryptoProviders.PROPERTY, "openssl"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "nitro.crypto.provider (or NITRO_CRYPTO_PROVIDER) must be auto, accp or jca, was 'openssl'");
  }

  @Test
  void jcaHandsOutTheJdkProvidersAndKeepsKeysAsTheyAre() throws Exception {
    CryptoProviders jca = CryptoProviders.jca();
    KeyPair ec = jca.keyPairGenerator("EC").generateKeyPair();
    Signature signer = jca.signature("SHA384withECDSAinP1363Format");
    assertThat(signer.getProvider().getName()).isEqualTo("SunEC");
    assertThat(jca.ownPrivateKey(ec.getPrivate())).isSameAs(ec.getPrivate());
    assertThat(jca.ownPublicKey(ec.getPublic())).isSameAs(ec.getPublic());
    assertThat(jca.cipher("AES/GCM/NoPadding").getProvider().getName()).isEqualTo("SunJCE");
    assertThat(jca.mac("HmacSHA256").getAlgorithm()).isEqualTo("HmacSHA256");
    assertThat(jca.messageDigest("SHA-384").getDigestLength()).isEqualTo(48);
    assertThat(Cipher.getInstance("RSA/ECB/OAEPPadding").getProvider())
        .isEqualTo(jca.cipher("RSA/ECB/OAEPPadding").getProvider());
    assertThat(jca.description()).contains("JCA");
  }

  private static NitroSettings settings(Map<String, String> properties) {
    return NitroSettings.of(properties::get, name -> null);
  }
}

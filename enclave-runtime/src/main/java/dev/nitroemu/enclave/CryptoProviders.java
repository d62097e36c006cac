package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.BcP384Provider;
import java.lang.reflect.InvocationTargetException;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.NoSuchPaddingException;

/**
 * The one choice of JCA provider for nitro-emu's hot crypto (ES384, RSA, AES-GCM, HMAC, SHA):
 * Amazon Corretto Crypto Provider (AWS-LC) when it is on the class path and its native library
 * loads, the JDK's own providers otherwise, and a choice forced by {@value #PROPERTY} ({@code
 * auto}, {@code accp}, {@code jca} or {@code jdk}, read through {@link NitroSettings}).
 *
 * <p>This module does not depend on ACCP: it is found by name at run time, so an enclave
 * application gets it only by adding it itself. Algorithms ACCP does not offer (e.g. secp256k1,
 * HmacSHA224) come from the JDK's providers even when ACCP is chosen.
 *
 * <p>Without ACCP ({@code jca}), ES384 on P-384 ({@code SHA384withECDSAinP1363Format}, the
 * attestation document signature) is BouncyCastle's pure-Java ECDSA, which this module already
 * carries and which signs about 4x and verifies about 8x faster than the JDK 17 SunEC; everything
 * else, and ES384 on other curves, is the JDK's. {@code jdk} is the JDK's providers alone, SunEC
 * included. All of them produce the same encodings: ECDSA in IEEE P1363 form is the raw {@code
 * r||s} COSE needs in each.
 */
public final class CryptoProviders {

  /**
   * The setting that forces the provider: {@code auto} (default), {@code accp}, {@code jca} or
   * {@code jdk}.
   */
  public static final String PROPERTY = "nitro.crypto.provider";

  /** ACCP's provider class, looked up by name so that this module does not need it. */
  static final String ACCP_CLASS =
      "com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider";

  private static final CryptoProviders JCA = new CryptoProviders(null, true);
  private static final CryptoProviders JDK = new CryptoProviders(null, false);
  private static volatile Accp accp;
  private static volatile CryptoProviders configured;

  private final Provider provider;
  private final boolean bouncyCastleEs384;

  private CryptoProviders(Provider provider, boolean bouncyCastleEs384) {
    this.provider = provider;
    this.bouncyCastleEs384 = bouncyCastleEs384;
  }

  /**
   * The JDK's providers in their configured order (SunEC, SunRsaSign, SunJCE, ...), except ES384 on
   * P-384, which is BouncyCastle's pure-Java ECDSA: the choice without ACCP.
   */
  public static CryptoProviders jca() {
    return JCA;
  }

  /** The JDK's providers alone, ES384 included (SunEC): {@value #PROPERTY}{@code =jdk}. */
  public static CryptoProviders jdk() {
    return JDK;
  }

  /** ACCP, if it is on the class path and healthy on this platform. */
  public static Optional<CryptoProviders> accpIfAvailable() {
    Accp probed = accpProbe();
    return probed.provider == null
        ? Optional.empty()
        : Optional.of(new CryptoProviders(probed.provider, false));
  }

  /** Why ACCP cannot be used here, or empty when it can. */
  public static Optional<String> accpUnavailableReason() {
    return Optional.ofNullable(accpProbe().reason);
  }

  /**
   * ACCP.
   *
   * @throws IllegalStateException naming why, if it is not on the class path or does not load here
   */
  public static CryptoProviders accp() {
    return accpIfAvailable().orElseThrow(() -> new IllegalStateException(unavailableMessage()));
  }

  /**
   * The choice {@value #PROPERTY} makes from system properties and the environment (resolved once).
   */
  public static CryptoProviders configured() {
    CryptoProviders choice = configured;
    if (choice == null) {
      choice = from(NitroSettings.system());
      configured = choice;
    }
    return choice;
  }

  /**
   * The choice {@value #PROPERTY} makes in {@code settings}: {@code auto} (or unset) is ACCP when
   * available, else {@link #jca()}; {@code jdk} is {@link #jdk()}.
   *
   * @throws IllegalArgumentException naming the setting if the value is not auto, accp, jca or jdk
   * @throws IllegalStateException if {@code accp} is forced and ACCP cannot be used here
   */
  public static CryptoProviders from(NitroSettings settings) {
    String value = settings.get(PROPERTY).orElse("auto").toLowerCase(Locale.ROOT);
    switch (value) {
      case "auto":
        return accpIfAvailable().orElse(JCA);
      case "accp":
        return accpIfAvailable()
            .orElseThrow(
                () -> new IllegalStateException(PROPERTY + "=accp, but " + unavailableMessage()));
      case "jca":
        return JCA;
      case "jdk":
        return JDK;
      default:
        throw new IllegalArgumentException(
            PROPERTY
                + " (or "
                + NitroSettings.environmentName(PROPERTY)
                + ") must be auto, accp, jca or jdk, was '"
                + value
                + "'");
    }
  }

  /** True if this is ACCP. */
  public boolean isAccp() {
    return provider != null;
  }

  /** {@code accp}, {@code jca} or {@code jdk}, as {@value #PROPERTY} spells it. */
  public String name() {
    return isAccp() ? "accp" : bouncyCastleEs384 ? "jca" : "jdk";
  }

  /** A human-readable name with the version, e.g. {@code AmazonCorrettoCryptoProvider 2.5.0}. */
  public String description() {
    if (isAccp()) {
      return provider.getName() + " " + provider.getVersionStr();
    }
    return bouncyCastleEs384
        ? "JCA (the JDK's providers; ES384 on P-384 by BouncyCastle)"
        : "JDK (the JDK's providers alone; ES384 by SunEC)";
  }

  /**
   * A {@link Signature} for {@code algorithm}, e.g. {@code SHA384withECDSAinP1363Format} (for
   * {@link #jca()} that one is BouncyCastle's on P-384 keys and the JDK's on others).
   */
  public Signature signature(String algorithm) throws NoSuchAlgorithmException {
    if (offers("Signature", algorithm)) {
      return Signature.getInstance(algorithm, provider);
    }
    if (bouncyCastleEs384 && BcP384Provider.INSTANCE.getService("Signature", algorithm) != null) {
      return Signature.getInstance(algorithm, BcP384Provider.INSTANCE);
    }
    return Signature.getInstance(algorithm);
  }

  /** A {@link Cipher} for {@code transformation}, e.g. {@code AES/GCM/NoPadding}. */
  public Cipher cipher(String transformation)
      throws NoSuchAlgorithmException, NoSuchPaddingException {
    return offers("Cipher", transformation)
        ? Cipher.getInstance(transformation, provider)
        : Cipher.getInstance(transformation);
  }

  /** A {@link Mac} for {@code algorithm}, e.g. {@code HmacSHA256}. */
  public Mac mac(String algorithm) throws NoSuchAlgorithmException {
    return offers("Mac", algorithm)
        ? Mac.getInstance(algorithm, provider)
        : Mac.getInstance(algorithm);
  }

  /** A {@link MessageDigest} for {@code algorithm}, e.g. {@code SHA-384}. */
  public MessageDigest messageDigest(String algorithm) throws NoSuchAlgorithmException {
    return offers("MessageDigest", algorithm)
        ? MessageDigest.getInstance(algorithm, provider)
        : MessageDigest.getInstance(algorithm);
  }

  /** A {@link KeyPairGenerator} for {@code algorithm}, e.g. {@code RSA}. */
  public KeyPairGenerator keyPairGenerator(String algorithm) throws NoSuchAlgorithmException {
    return offers("KeyPairGenerator", algorithm)
        ? KeyPairGenerator.getInstance(algorithm, provider)
        : KeyPairGenerator.getInstance(algorithm);
  }

  /** A {@link KeyFactory} for {@code algorithm}, e.g. {@code EC}. */
  public KeyFactory keyFactory(String algorithm) throws NoSuchAlgorithmException {
    return offers("KeyFactory", algorithm)
        ? KeyFactory.getInstance(algorithm, provider)
        : KeyFactory.getInstance(algorithm);
  }

  /** A {@link KeyAgreement} for {@code algorithm}, e.g. {@code ECDH}. */
  public KeyAgreement keyAgreement(String algorithm) throws NoSuchAlgorithmException {
    return offers("KeyAgreement", algorithm)
        ? KeyAgreement.getInstance(algorithm, provider)
        : KeyAgreement.getInstance(algorithm);
  }

  /**
   * {@code key} in this provider's own form, for a key used many times (a provider converts a
   * foreign key on every init otherwise); {@code key} itself for JCA or if this provider cannot
   * take it.
   */
  public PrivateKey ownPrivateKey(PrivateKey key) {
    return (PrivateKey) own(key);
  }

  /** Like {@link #ownPrivateKey} for a public key. */
  public PublicKey ownPublicKey(PublicKey key) {
    return (PublicKey) own(key);
  }

  @Override
  public String toString() {
    return "CryptoProviders[" + description() + "]";
  }

  private Key own(Key key) {
    Objects.requireNonNull(key, "key");
    if (!isAccp() || !offers("KeyFactory", key.getAlgorithm())) {
      return key;
    }
    try {
      return KeyFactory.getInstance(key.getAlgorithm(), provider).translateKey(key);
    } catch (GeneralSecurityException | RuntimeException e) {
      return key; // a key ACCP does not take (e.g. a curve it lacks) stays with the JDK's providers
    }
  }

  private boolean offers(String type, String algorithm) {
    return provider != null && provider.getService(type, algorithm) != null;
  }

  private static String unavailableMessage() {
    return "Amazon Corretto Crypto Provider cannot be used: " + accpProbe().reason;
  }

  private static Accp accpProbe() {
    Accp probed = accp;
    if (probed == null) {
      probed = probeAccp();
      accp = probed;
    }
    return probed;
  }

  private static Accp probeAccp() {
    try {
      Class<?> type = Class.forName(ACCP_CLASS, true, CryptoProviders.class.getClassLoader());
      Provider instance = (Provider) type.getField("INSTANCE").get(null);
      Object loadingError = type.getMethod("getLoadingError").invoke(instance);
      if (loadingError != null) {
        return new Accp(
            null, "its native library does not load on " + platform() + " (" + loadingError + ")");
      }
      type.getMethod("assertHealthy").invoke(instance);
      return new Accp(instance, null);
    } catch (ClassNotFoundException e) {
      return new Accp(
          null,
          "it is not on the class path (add software.amazon.cryptools:"
              + "AmazonCorrettoCryptoProvider with the classifier of this platform, "
              + platform()
              + ")");
    } catch (InvocationTargetException e) {
      return new Accp(null, "its self-test failed on " + platform() + " (" + e.getCause() + ")");
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return new Accp(null, "it does not load on " + platform() + " (" + e + ")");
    }
  }

  private static String platform() {
    return System.getProperty("os.name") + "/" + System.getProperty("os.arch");
  }

  /** The outcome of looking for ACCP: its provider, or why there is none. */
  private record Accp(Provider provider, String reason) {}
}

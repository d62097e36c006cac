package dev.nitroemu.enclave.internal;

import java.security.Provider;
import java.util.List;
import java.util.Map;

/**
 * A JCA provider object, never installed in {@link java.security.Security}, that offers only {@link
 * BcP384SignatureSpi}: handed to {@code Signature.getInstance(algorithm, provider)} by {@code
 * CryptoProviders} so callers get an ordinary {@link java.security.Signature}.
 */
public final class BcP384Provider extends Provider {
  /** The provider's name, as {@code Signature.getProvider().getName()} reports it. */
  public static final String NAME = "NitroEmuBcP384";

  /** The one instance. */
  public static final BcP384Provider INSTANCE = new BcP384Provider();

  private static final long serialVersionUID = 1L;

  private BcP384Provider() {
    super(NAME, "1.0", "ES384 on P-384 through BouncyCastle's lightweight ECDSA");
    putService(
        new Service(
            this,
            "Signature",
            BcP384SignatureSpi.ALGORITHM,
            BcP384SignatureSpi.class.getName(),
            List.of(),
            Map.of()) {
          @Override
          public Object newInstance(Object constructorParameter) {
            return new BcP384SignatureSpi();
          }
        });
  }
}

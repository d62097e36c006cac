package dev.nitroemu.enclave;

import java.nio.file.Path;

/**
 * Which backend nitro-emu uses: the emulator or real Nitro hardware, chosen by the setting {@value
 * #PROPERTY}.
 *
 * <p>The setting has one meaning everywhere, resolved by {@link NitroSettings#mode()}: the system
 * property {@value #PROPERTY}, else the environment variable {@value #ENVIRONMENT_VARIABLE}, with
 * the value {@code emulated}, {@code real} or {@code auto}; unset means {@code auto}. {@code auto}
 * is {@link #REAL} when both {@code /dev/vsock} and {@code /dev/nsm} exist (inside an enclave) and
 * {@link #EMULATED} otherwise (a laptop, CI, or the parent EC2 instance, which has no {@code
 * /dev/nsm}).
 */
public enum NitroMode {
  /** Software NSM, vsock over loopback TCP, KMS mock. */
  EMULATED,
  /** The enclave's {@code /dev/nsm}, AF_VSOCK, real KMS through vsock-proxy. */
  REAL;

  /** The system property that selects the mode. */
  public static final String PROPERTY = "nitro.mode";

  /** The environment variable read when the system property is not set. */
  public static final String ENVIRONMENT_VARIABLE = "NITRO_MODE";

  /** The vsock device whose presence {@code auto} checks. */
  public static final Path VSOCK_DEVICE = Path.of("/dev/vsock");

  /** The NSM device whose presence {@code auto} checks. */
  public static final Path NSM_DEVICE = Path.of("/dev/nsm");

  /**
   * The mode this process is configured for: {@link NitroSettings#system()}{@code .mode()}.
   *
   * @throws IllegalArgumentException if the setting has a value other than emulated, real or auto
   */
  public static NitroMode current() {
    return NitroSettings.system().mode();
  }
}

package dev.nitroemu.junit;

import dev.nitroemu.stack.EmulatorControls;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against one enclave environment: an NSM, vsock and KMS, emulated in the test
 * JVM by default and real inside a Nitro Enclave with {@code -Dnitro.mode=real}.
 *
 * <p>Test constructors, lifecycle methods and test methods may declare parameters of these types:
 * {@code Nsm}, {@code AttestationVerifier} (trusting the mode's root), {@code VsockTransport}, the
 * AWS SDK {@code KmsClient}, {@code EnclaveKmsClient}, {@link EnclaveRuntimeInfo} and, emulated
 * only, {@link EmulatorControls}.
 *
 * <p><b>Lifetime.</b> One environment per test class, started before the first test that runs and
 * closed after the last: tests in the class share its PCRs, clock and KMS keys. For a fresh
 * environment per test, register {@link NitroEnclaveExtension#builder()} in an instance field
 * instead; a {@code static} field gives one per class, like this annotation. Every attribute has a
 * builder option of the same name.
 *
 * <pre>
 * &#64;NitroEnclaveTest(profile = "enclave/build-enclave.json", kmsKeys = "kms/secret-key.json")
 * class SecretsTest {
 *   &#64;Test
 *   void decryptsInsideTheEnclave(KmsClient kms, EnclaveKmsClient enclave, EnclaveRuntimeInfo info) { ... }
 * }
 * </pre>
 *
 * <p>Environments share nothing mutable, so classes may run in parallel.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(NitroEnclaveExtension.class)
public @interface NitroEnclaveTest {

  /**
   * Classpath resource with {@code nitro-cli build-enclave} (or {@code describe-eif}) output: the
   * image PCRs to boot with. Default: the emulator's deterministic default profile.
   */
  String profile() default "";

  /**
   * An EIF file (path relative to the working directory, e.g. the one {@code nitro-cli
   * build-enclave} wrote in CI): the image PCRs are measured from it as AWS's tools do, PCR8
   * included when signed. Takes the place of {@link #profile()}.
   */
  String eif() default "";

  /** Debug mode: the NSM attests zeros for PCR0/1/2/8, as {@code --debug-mode} does. */
  boolean debug() default false;

  /** Boot PCRs overriding the profile's, each {@code "index=hex"} (index 0..15, 96 hex digits). */
  String[] pcrs() default {};

  /**
   * Directory with a pinned emulator root CA ({@code root.pem}, {@code root-key.pem}; see {@code
   * nitro-emu ca init}). Default: a fresh root per environment.
   */
  String caDirectory() default "";

  /**
   * Classpath resources declaring KMS keys, each {@code {"alias": "...", "policy": {...}}}; the
   * policy may use {@code ${PCR0}}..{@code ${PCR15}} (the profile's measurements), {@code
   * ${ACCOUNT_ID}} and {@code ${REGION}}. Emulated, the keys are created; real, their ids come from
   * {@code nitro.kms.key.<alias>}.
   */
  String[] kmsKeys() default {};
}

package dev.nitroemu.stack;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.kms.KmsMockServer;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.stack.internal.Closer;
import dev.nitroemu.stack.internal.DeclaredKmsKey;
import dev.nitroemu.stack.internal.ProfileResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * One enclave's world, started as a unit and closed as a unit: an {@link Nsm}, a {@link
 * VsockTransport}, an {@link AttestationVerifier} trusting the mode's root, and an AWS SDK {@link
 * KmsClient} with the declared keys; usable without JUnit ({@code try (var env =
 * EnclaveEnvironment.builder().start())}).
 *
 * <p><b>Emulated</b> (the default): a {@link SoftwareNsm} booted from the profile under a fresh (or
 * pinned) emulator root, an in-process {@link VsockNetwork} whose own CID is {@value
 * #EMULATED_ENCLAVE_CID}, and a {@link KmsMockServer} on a free loopback port that trusts that
 * root; each declared key is created with the default policy, given its alias, then its own policy
 * is put. Everything reads one clock that {@link EmulatorControls} can move. Nothing is shared with
 * other environments.
 *
 * <p><b>Real</b> ({@code nitro.mode=real}, inside a Nitro Enclave): {@code /dev/nsm}, AF_VSOCK, the
 * AWS root, and real KMS in {@code nitro.kms.region} through the parent's vsock-proxy ({@code
 * vsock://3:<nitro.kms.proxyPort>}, default 8000) via a loopback CONNECT bridge; declared keys are
 * not created but looked up in {@code nitro.kms.key.<alias>}. Missing settings fail at start with a
 * message naming each one.
 *
 * <p>Thread-safe; {@link #close()} closes everything it opened, newest first, and is idempotent.
 */
public final class EnclaveEnvironment implements AutoCloseable {

  /** The vsock CID of the emulated enclave (what peers see as its address); the parent is CID 3. */
  public static final long EMULATED_ENCLAVE_CID = 16;

  private final NitroMode mode;
  private final Nsm nsm;
  private final AttestationVerifier verifier;
  private final VsockTransport transport;
  private final KmsClient kmsClient;
  final EnclaveRuntimeInfo info;
  private final EmulatorControls controls;
  final Closer closer;
  private EnclaveKmsClient enclaveKmsClient;

  EnclaveEnvironment(
      NitroMode mode,
      Nsm nsm,
      AttestationVerifier verifier,
      VsockTransport transport,
      KmsClient kmsClient,
      EnclaveRuntimeInfo info,
      EmulatorControls controls,
      Closer closer) {
    this.mode = mode;
    this.nsm = nsm;
    this.verifier = verifier;
    this.transport = transport;
    this.kmsClient = kmsClient;
    this.info = info;
    this.controls = controls;
    this.closer = closer;
  }

  /**
   * The same environment with other facts (an {@link EnclaveHost}'s CID); shares everything else.
   */
  EnclaveEnvironment withInfo(EnclaveRuntimeInfo replaced) {
    return new EnclaveEnvironment(
        mode, nsm, verifier, transport, kmsClient, replaced, controls, closer);
  }

  /**
   * A builder: default profile, fresh root, no keys, mode from {@code nitro.mode} (emulated if
   * unset).
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Emulated or real. */
  public NitroMode mode() {
    return mode;
  }

  /** The enclave's security module. */
  public Nsm nsm() {
    return nsm;
  }

  /** A verifier trusting this mode's root (the emulator root, or the AWS Nitro root when real). */
  public AttestationVerifier verifier() {
    return verifier;
  }

  /** The enclave's vsock transport. */
  public VsockTransport transport() {
    return transport;
  }

  /** An AWS SDK KMS client pointed at this mode's KMS; closed with the environment. */
  public KmsClient kmsClient() {
    return kmsClient;
  }

  /**
   * An enclave-side KMS client that attests with {@link #nsm()} and calls through {@link
   * #kmsClient()}; made on first use (an RSA-2048 key pair) and closed with the environment.
   */
  public synchronized EnclaveKmsClient enclaveKmsClient() {
    if (enclaveKmsClient == null) {
      enclaveKmsClient =
          closer.register(EnclaveKmsClient.builder().nsm(nsm).kmsClient(kmsClient).build());
    }
    return enclaveKmsClient;
  }

  /** The read-only facts of this environment. */
  public EnclaveRuntimeInfo info() {
    return info;
  }

  /**
   * The emulator's levers.
   *
   * @throws IllegalStateException in real mode, where they do not exist (mark such tests
   *     {@code @EmulatorOnly})
   */
  public EmulatorControls controls() {
    if (controls == null) {
      throw new IllegalStateException(
          "EmulatorControls exist only when emulated, but nitro.mode is real;"
              + " mark tests that need them @EmulatorOnly so they are skipped on hardware");
    }
    return controls;
  }

  /**
   * Closes everything this environment opened, newest first, even when some of it fails;
   * idempotent.
   *
   * @throws RuntimeException if something failed to close: the first failure (a checked one
   *     wrapped, an {@link IOException} as {@link UncheckedIOException}), later ones attached as
   *     suppressed
   */
  @Override
  public void close() {
    closer.close();
  }

  @Override
  public String toString() {
    return "EnclaveEnvironment[" + info + "]";
  }

  /**
   * Configures an {@link EnclaveEnvironment}; every option has a default, and each
   * {@code @NitroEnclaveTest} attribute maps to the option of the same name.
   */
  public static final class Builder {
    // Package-private: EnvironmentStart reads them.
    EnclaveProfile profile;
    String profileResource;
    Path eif;
    Boolean debug;
    final TreeMap<Integer, byte[]> pcrs = new TreeMap<>();
    Path caDirectory;
    EmulatorRootCa rootCa;
    Clock clock = Clock.systemUTC();
    StackServices services = StackServices.none();
    final List<Function<ClassLoader, List<DeclaredKmsKey>>> kmsKeys = new ArrayList<>();
    NitroMode mode;
    NitroSettings settings = NitroSettings.system();
    ClassLoader classLoader;
    EnclaveHost host;

    private Builder() {}

    /**
     * An enclave that runs elsewhere (e.g. an {@code EnclaveContainer}) and is served by this
     * environment: at {@link #start()} its {@linkplain EnclaveHost#plan() plan} gives the boot PCRs
     * (overriding the profile's, so key policies' {@code ${PCR0}} is its image's) and the CID
     * {@link EnclaveRuntimeInfo#enclaveCid()} reports, then the running environment is {@linkplain
     * EnclaveHost#attach attached} to it. Emulated mode only. Starting the enclave is the caller's.
     */
    public Builder enclave(EnclaveHost enclaveHost) {
      this.host = Objects.requireNonNull(enclaveHost, "enclaveHost");
      return this;
    }

    /** The enclave host given with {@link #enclave}, if any. */
    public Optional<EnclaveHost> enclaveHost() {
      return Optional.ofNullable(host);
    }

    /**
     * The enclave to emulate (default: {@link EnclaveProfile#defaultProfile()}); replaces a profile
     * resource.
     */
    public Builder profile(EnclaveProfile profile) {
      this.profile = Objects.requireNonNull(profile, "profile");
      this.profileResource = null;
      this.eif = null;
      return this;
    }

    /**
     * The enclave to emulate, measured from an EIF file as AWS's tools measure it (PCR0/1/2, and
     * PCR8 when signed; see {@link EnclaveProfile#fromEif(Path)}); replaces any other profile. The
     * file must be intact: a bad CRC or signature stops {@link #start()}.
     */
    public Builder eif(Path file) {
      this.eif = Objects.requireNonNull(file, "file");
      this.profile = null;
      this.profileResource = null;
      return this;
    }

    /**
     * The enclave to emulate, from a classpath resource holding {@code nitro-cli build-enclave} or
     * {@code describe-eif} output (its PCR0/1/2/8); replaces an explicit profile.
     */
    public Builder profile(String resource) {
      this.profileResource = Objects.requireNonNull(resource, "resource");
      this.profile = null;
      this.eif = null;
      return this;
    }

    /** Debug mode: the NSM attests zeros for PCR0/1/2/8 (default: the profile's own flag). */
    public Builder debug(boolean debug) {
      this.debug = debug;
      return this;
    }

    /**
     * Boot PCR values overriding the profile's, each {@code "index=hex"} (index 0..15, 96 hex
     * digits), e.g. {@code "8=7fb5c55b..."} for a signed image.
     *
     * @throws IllegalArgumentException naming the malformed entry
     */
    public Builder pcrs(String... entries) {
      for (String entry : entries) {
        ProfileResolver.parsePcrEntry(entry, pcrs);
      }
      return this;
    }

    /**
     * A pinned emulator root CA ({@code root.pem} and {@code root-key.pem}, as written by {@code
     * nitro-emu ca init --dir DIR}) instead of a fresh one per environment.
     */
    public Builder caDirectory(Path directory) {
      this.caDirectory = Objects.requireNonNull(directory, "directory");
      this.rootCa = null;
      return this;
    }

    /** A pinned emulator root CA already loaded (e.g. by the caller); replaces a CA directory. */
    public Builder rootCa(EmulatorRootCa root) {
      this.rootCa = Objects.requireNonNull(root, "root");
      this.caDirectory = null;
      return this;
    }

    /**
     * The clock the emulated environment's adjustable clock follows (default: the system UTC
     * clock); {@link EmulatorControls} moves it from there.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * What the emulated environment serves to other processes (default {@link
     * StackServices#none()}): the NSM on vsock, fixed KMS port, vsock-proxies, mapping file, KMS
     * TLS and state; ignored when real.
     */
    public Builder services(StackServices services) {
      this.services = Objects.requireNonNull(services, "services");
      return this;
    }

    /**
     * KMS keys to create, each a classpath resource {@code {"alias": ..., "policy": {...}}} whose
     * policy may use {@code ${PCR0}}..{@code ${PCR15}}, {@code ${ACCOUNT_ID}} and {@code
     * ${REGION}}; see {@link EnclaveRuntimeInfo#kmsKeyId(String)}. In real mode only the aliases
     * are read.
     */
    public Builder kmsKeys(String... resources) {
      for (String resource : resources) {
        Objects.requireNonNull(resource, "resource");
        kmsKeys.add(loader -> List.of(DeclaredKmsKey.fromResource(resource, loader)));
      }
      return this;
    }

    /**
     * KMS keys to create from every {@code *.json} declaration in {@code directory} (file name
     * order), in the format of {@link #kmsKeys(String...)}; {@code nitro-emu start --kms-keys DIR}
     * reads the same files a test declares.
     */
    public Builder kmsKeyDirectory(Path directory) {
      Objects.requireNonNull(directory, "directory");
      kmsKeys.add(loader -> DeclaredKmsKey.fromDirectory(directory));
      return this;
    }

    /**
     * A KMS key declared in code: its alias and policy JSON (with the same placeholders as {@link
     * #kmsKeys}).
     */
    public Builder kmsKey(String alias, String policyJson) {
      DeclaredKmsKey key = DeclaredKmsKey.of(alias, policyJson);
      kmsKeys.add(loader -> List.of(key));
      return this;
    }

    /** The backend (default: {@code nitro.mode} / {@code NITRO_MODE}, emulated when unset). */
    public Builder mode(NitroMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Where settings are read from; the extension reads JUnit configuration parameters too. */
    public Builder settings(NitroSettings settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** The class loader for resources (default: the thread's context class loader). */
    public Builder classLoader(ClassLoader loader) {
      this.classLoader = Objects.requireNonNull(loader, "loader");
      return this;
    }

    /** An independent copy, so one configuration can start many environments. */
    public Builder copy() {
      Builder copy = new Builder();
      copy.profile = profile;
      copy.profileResource = profileResource;
      copy.eif = eif;
      copy.debug = debug;
      pcrs.forEach((index, value) -> copy.pcrs.put(index, value.clone()));
      copy.caDirectory = caDirectory;
      copy.rootCa = rootCa;
      copy.clock = clock;
      copy.services = services;
      copy.kmsKeys.addAll(kmsKeys);
      copy.mode = mode;
      copy.settings = settings;
      copy.classLoader = classLoader;
      copy.host = host;
      return copy;
    }

    /**
     * Starts the environment in the configured mode.
     *
     * @throws IllegalArgumentException if a resource is missing or malformed, or a setting is
     *     missing or malformed (the message names it and says how to fix it)
     * @throws IllegalStateException in real mode outside a Nitro Enclave
     * @throws UncheckedIOException if a socket cannot be opened
     */
    public EnclaveEnvironment start() {
      return EnvironmentStart.start(this);
    }
  }
}

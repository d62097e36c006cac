package dev.nitroemu.stack;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockFault;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.kms.AuditLog;
import dev.nitroemu.kms.KmsCredentials;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.stack.internal.AdjustableClock;
import dev.nitroemu.stack.internal.Closer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Levers that exist only in the emulator: the environment's clock, vsock faults, the KMS audit
 * trail, and booting other enclaves under the same root; tests that use them are
 * {@code @EmulatorOnly}.
 *
 * <p>PCRs: user PCRs (16..31) are extended through the injected {@code Nsm}, exactly as on
 * hardware. Boot PCRs (0..15) are locked at boot, as on hardware, so "the same enclave with another
 * image" is another enclave: {@link #bootEnclave(EnclaveProfile)}.
 */
public final class EmulatorControls {

  private final AdjustableClock clock;
  private final VsockNetwork network;
  private final AuditLog kmsAudit;
  private final EmulatorRootCa rootCa;
  private final EnclaveProfile profile;
  private final List<ServiceEndpoint> services;
  private final KmsCredentials kmsCredentials;
  private final List<SeededKmsKey> seededKmsKeys;
  private final Closer closer;

  EmulatorControls(
      AdjustableClock clock,
      VsockNetwork network,
      AuditLog kmsAudit,
      EmulatorRootCa rootCa,
      EnclaveProfile profile,
      List<ServiceEndpoint> services,
      KmsCredentials kmsCredentials,
      List<SeededKmsKey> seededKmsKeys,
      Closer closer) {
    this.clock = clock;
    this.network = network;
    this.kmsAudit = kmsAudit;
    this.rootCa = rootCa;
    this.profile = profile;
    this.services = List.copyOf(services);
    this.kmsCredentials = kmsCredentials;
    this.seededKmsKeys = List.copyOf(seededKmsKeys);
    this.closer = closer;
  }

  /** The clock the NSM, the verifier, the KMS mock and the KMS client's signer all read. */
  public Clock clock() {
    return clock;
  }

  /**
   * Moves the environment's clock forward (or back, if negative): documents get later timestamps
   * and renewed certificates, the verifier and KMS judge age and expiry at the new time, and the
   * injected KMS client signs with it.
   */
  public void advanceClock(Duration amount) {
    clock.advance(amount);
  }

  /** Sets the environment's clock to {@code instant}; it keeps running from there. */
  public void setClock(Instant instant) {
    clock.set(instant);
  }

  /**
   * Makes new connections through the injected {@code VsockTransport} to {@code address} misbehave
   * (refused, slow, reset, stalled); see {@link VsockFault}.
   */
  public void injectFault(VsockAddress address, VsockFault fault) {
    network.injectFault(address, fault);
  }

  /** Removes every injected vsock fault. */
  public void clearFaults() {
    network.clearFaults();
  }

  /** The KMS mock's audit events so far, oldest first (CloudTrail-shaped; no secrets). */
  public List<AuditEvent> kmsAuditEvents() {
    return kmsAudit.events();
  }

  /** Forgets the audit events so far, e.g. so a test sees only its own calls. */
  public void clearKmsAuditEvents() {
    kmsAudit.clear();
  }

  /** The emulator root CA every document of this environment chains to. */
  public EmulatorRootCa rootCa() {
    return rootCa;
  }

  /** The profile the injected NSM booted with; {@code profile().toBuilder()} starts a variant. */
  public EnclaveProfile profile() {
    return profile;
  }

  /**
   * What the environment serves to other processes: always {@code kms}, then whatever {@link
   * StackServices} asked for ({@code nsm}, {@code kms-proxy}, {@code proxy-<port>}), in start
   * order.
   */
  public List<ServiceEndpoint> services() {
    return services;
  }

  /**
   * The service of this name ({@link ServiceEndpoint#NSM}, {@link ServiceEndpoint#KMS_PROXY}...),
   * if served.
   */
  public Optional<ServiceEndpoint> service(String name) {
    return services.stream().filter(service -> service.name().equals(name)).findFirst();
  }

  /**
   * The declared KMS keys in declaration order, each with its ARN and whether it was created or
   * found.
   */
  public List<SeededKmsKey> seededKmsKeys() {
    return seededKmsKeys;
  }

  /**
   * The KMS mock's credentials: access key, secret and the principal (and account) they stand for.
   */
  public KmsCredentials kmsCredentials() {
    return kmsCredentials;
  }

  /**
   * Boots another emulated enclave under the same root and clock, e.g. one with a different PCR0 to
   * check that a key policy denies it; closed with the environment.
   */
  public SoftwareNsm bootEnclave(EnclaveProfile otherProfile) {
    Objects.requireNonNull(otherProfile, "otherProfile");
    return closer.register(
        SoftwareNsm.builder().profile(otherProfile).rootCa(rootCa).clock(clock).build());
  }

  @Override
  public String toString() {
    return "EmulatorControls[clockOffset=" + clock.offset() + ", network=" + network + "]";
  }
}

package dev.nitroemu.stack;

import dev.nitroemu.enclave.AfVsockTransport;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.ConnectBridge;
import dev.nitroemu.enclave.DeviceNsm;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.enclave.VsockUnavailableException;
import dev.nitroemu.kms.KmsCredentials;
import dev.nitroemu.kms.KmsMockServer;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.stack.internal.AdjustableClock;
import dev.nitroemu.stack.internal.Closer;
import dev.nitroemu.stack.internal.DeclaredKmsKey;
import dev.nitroemu.stack.internal.KmsClients;
import dev.nitroemu.stack.internal.KmsKeySeeder;
import dev.nitroemu.stack.internal.VsockServices;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Assembles an {@link EnclaveEnvironment} for each mode; anything opened is closed again if a later
 * step fails.
 */
final class EnvironmentLauncher {

  private EnvironmentLauncher() {}

  /**
   * Starts an emulated environment whose resources go to {@code closer} (closed again if a step
   * fails).
   */
  static EnclaveEnvironment startEmulated(
      EnclaveProfile profile, Path caDirectory, List<DeclaredKmsKey> keys, Closer closer)
      throws IOException {
    return startEmulated(
        profile,
        caDirectory == null ? null : loadRoot(caDirectory),
        Clock.systemUTC(),
        keys,
        StackServices.none(),
        closer);
  }

  /**
   * Starts an emulated environment: the NSM under {@code pinnedRoot} (a fresh root when null), the
   * vsock network, the KMS mock with the declared keys and whatever {@code services} asks for, all
   * reading one adjustable clock that follows {@code baseClock}. Its resources go to {@code
   * closer}, which is closed again if a step fails.
   */
  static EnclaveEnvironment startEmulated(
      EnclaveProfile profile,
      EmulatorRootCa pinnedRoot,
      Clock baseClock,
      List<DeclaredKmsKey> keys,
      StackServices services,
      Closer closer)
      throws IOException {
    try {
      AdjustableClock clock = new AdjustableClock(baseClock);
      EmulatorRootCa root = pinnedRoot == null ? EmulatorRootCa.generate(clock) : pinnedRoot;
      SoftwareNsm nsm =
          closer.register(SoftwareNsm.builder().profile(profile).rootCa(root).clock(clock).build());
      VsockNetwork.Builder networkBuilder =
          VsockNetwork.builder().localCid(EnclaveEnvironment.EMULATED_ENCLAVE_CID);
      if (services.mappingFile() != null) {
        networkBuilder.mappingFile(services.mappingFile());
      }
      VsockNetwork network = closer.register(networkBuilder.build());
      String region = services.kmsRegion() != null ? services.kmsRegion() : profile.region();
      AtomicReference<List<ServiceEndpoint>> served = new AtomicReference<>(List.of());
      KmsMockServer kms = closer.register(kmsServer(services, region, root, clock, served));
      kms.start();
      KmsCredentials credentials = kms.credentials();
      AwsCredentialsProvider provider =
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(credentials.accessKeyId(), credentials.secretAccessKey()));
      KmsClient kmsClient =
          closer.register(
              KmsClients.emulated(
                  kms.endpoint(),
                  Region.of(kms.region()),
                  provider,
                  clock,
                  services.kmsTls() == null ? null : services.kmsTls().trustManagers()));
      List<SeededKmsKey> seeded =
          KmsKeySeeder.seed(
              kmsClient,
              keys,
              DeclaredKmsKey.placeholders(profile, kms.accountId(), kms.region()),
              services.kmsStateDirectory() != null);
      Map<String, String> keyIds = new LinkedHashMap<>();
      seeded.forEach(key -> keyIds.put(key.alias(), key.keyId()));
      List<ServiceEndpoint> endpoints = new ArrayList<>();
      InetSocketAddress kmsTcp = new InetSocketAddress(kms.endpoint().getHost(), kms.port());
      endpoints.add(
          new ServiceEndpoint(ServiceEndpoint.KMS, kms.endpoint().toString(), kmsTcp, null));
      endpoints.addAll(VsockServices.start(nsm, network, kms.port(), services, closer));
      served.set(List.copyOf(endpoints));
      VsockAddress kmsProxy =
          endpoints.stream()
              .filter(e -> e.name().equals(ServiceEndpoint.KMS_PROXY))
              .findFirst()
              .map(ServiceEndpoint::vsockAddress)
              .orElse(null);
      AttestationVerifier verifier =
          AttestationVerifier.builder().trustAnchor(root.certificate()).clock(clock).build();
      TreeMap<Integer, byte[]> pcrs = new TreeMap<>();
      for (int i = 0; i < EnclaveProfile.BOOT_PCRS; i++) {
        pcrs.put(i, profile.imagePcr(i));
      }
      EnclaveRuntimeInfo info =
          new EnclaveRuntimeInfo(
              NitroMode.EMULATED,
              kms.region(),
              kms.endpoint(),
              kmsProxy,
              provider,
              root.certificate(),
              pcrs,
              profile.debug(),
              keyIds);
      EmulatorControls controls =
          new EmulatorControls(
              clock,
              network,
              kms.auditLog(),
              root,
              profile,
              endpoints,
              credentials,
              seeded,
              closer);
      return new EnclaveEnvironment(
          NitroMode.EMULATED, nsm, verifier, network, kmsClient, info, controls, closer);
    } catch (Throwable e) {
      closer.closeAfter(e);
      throw e;
    }
  }

  private static KmsMockServer kmsServer(
      StackServices services,
      String region,
      EmulatorRootCa root,
      Clock clock,
      AtomicReference<List<ServiceEndpoint>> served) {
    KmsMockServer.Builder builder =
        KmsMockServer.builder()
            .port(services.kmsPort())
            .bindAddress(services.kmsBindAddress())
            .region(region)
            .trustAnchor(root.certificate())
            .clock(clock)
            .localStackTags(services.kmsLocalStackTags())
            .healthServices(() -> healthFields(served.get()));
    if (services.kmsTrustAwsRoot()) {
      builder.trustAwsRoot();
    }
    if (services.kmsStateDirectory() != null) {
      builder.stateDirectory(services.kmsStateDirectory());
    }
    if (services.kmsAuditFile() != null) {
      builder.auditFile(services.kmsAuditFile(), services.kmsAuditRotation());
    }
    if (services.kmsTls() != null) {
      builder.tls(services.kmsTls());
    }
    services.kmsAllowedHosts().forEach(builder::allowedHost);
    if (services.kmsRequestListener() != null) {
      builder.requestListener(services.kmsRequestListener());
    }
    return builder.build();
  }

  /**
   * The health endpoint's view of the served vsock services: address, TCP endpoint, destination.
   */
  private static Map<String, Map<String, String>> healthFields(List<ServiceEndpoint> served) {
    Map<String, Map<String, String>> fields = new LinkedHashMap<>();
    for (ServiceEndpoint service : served) {
      Map<String, String> entry = new LinkedHashMap<>();
      entry.put("address", service.address());
      entry.put("tcp", service.tcpText());
      if (service.destination() != null) {
        entry.put("destination", service.destination());
      }
      fields.put(service.name(), entry);
    }
    return fields;
  }

  /** Starts a real environment; settings are checked before any device is opened. */
  static EnclaveEnvironment startReal(
      EnclaveProfile profile, List<DeclaredKmsKey> keys, NitroSettings settings)
      throws IOException {
    NitroSettings.RealKms kms =
        settings.realKms(keys.stream().map(DeclaredKmsKey::alias).collect(Collectors.toList()));
    Closer closer = new Closer();
    try {
      Nsm nsm =
          closer.register(
              openDeviceNsm()); // first: its absence says "not in an enclave" most plainly
      VsockTransport transport = openAfVsock();
      VsockAddress proxy = VsockAddress.of(VsockAddress.CID_PARENT, kms.proxyPort());
      ConnectBridge bridge = closer.register(ConnectBridge.start(transport, proxy, kms.host()));
      AwsCredentialsProvider credentials = KmsClients.realCredentials();
      KmsClient kmsClient =
          closer.register(
              KmsClients.throughConnectProxy(
                  Region.of(kms.region()), bridge.address(), credentials));
      SortedMap<Integer, byte[]> pcrs = new TreeMap<>();
      for (int i = 0; i < EnclaveProfile.BOOT_PCRS; i++) {
        pcrs.put(i, profile != null ? profile.imagePcr(i) : nsm.describePcr(i).data());
      }
      boolean debug = isZero(nsm.describePcr(0).data());
      EnclaveRuntimeInfo info =
          new EnclaveRuntimeInfo(
              NitroMode.REAL,
              kms.region(),
              URI.create("https://" + kms.host()),
              proxy,
              credentials,
              AttestationVerifier.awsRoot(),
              pcrs,
              debug,
              kms.keyIds());
      return new EnclaveEnvironment(
          NitroMode.REAL,
          nsm,
          AttestationVerifier.forAwsRoot(),
          transport,
          kmsClient,
          info,
          null,
          closer);
    } catch (Throwable e) {
      closer.closeAfter(e);
      throw e;
    }
  }

  static EmulatorRootCa loadRoot(Path caDirectory) {
    try {
      return EmulatorRootCa.load(caDirectory);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "caDirectory "
              + caDirectory.toAbsolutePath()
              + " holds no usable root CA ("
              + e.getMessage()
              + "); create one with `nitro-emu ca init --dir "
              + caDirectory
              + "`",
          e);
    }
  }

  private static VsockTransport openAfVsock() {
    try {
      return AfVsockTransport.open();
    } catch (VsockUnavailableException e) {
      throw new IllegalStateException("nitro.mode is real, but " + e.getMessage(), e);
    }
  }

  private static Nsm openDeviceNsm() {
    try {
      return DeviceNsm.open();
    } catch (NsmException e) {
      throw new IllegalStateException(
          "nitro.mode is real, but "
              + DeviceNsm.DEFAULT_DEVICE
              + " cannot be opened ("
              + e.getMessage()
              + "): run inside a Nitro Enclave, or set nitro.mode=emulated",
          e);
    }
  }

  private static boolean isZero(byte[] value) {
    for (byte b : value) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}

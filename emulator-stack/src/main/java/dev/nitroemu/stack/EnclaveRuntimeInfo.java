package dev.nitroemu.stack;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * A read-only view of a running {@link EnclaveEnvironment}: the mode, where KMS is, the credentials
 * and region to call it with, the attestation root, the enclave's measured PCRs and the KMS key ids
 * by alias; what a test needs to build its own clients or write assertions, and nothing it could
 * break.
 */
public final class EnclaveRuntimeInfo {

  private final NitroMode mode;
  private final String region;
  private final URI kmsEndpoint;
  private final VsockAddress kmsProxyAddress;
  private final AwsCredentialsProvider credentials;
  private final X509Certificate rootCertificate;
  private final SortedMap<Integer, byte[]> pcrs;
  private final boolean debug;
  private final Map<String, String> kmsKeyIds;
  private final Long enclaveCid;

  EnclaveRuntimeInfo(
      NitroMode mode,
      String region,
      URI kmsEndpoint,
      VsockAddress kmsProxyAddress,
      AwsCredentialsProvider credentials,
      X509Certificate rootCertificate,
      SortedMap<Integer, byte[]> pcrs,
      boolean debug,
      Map<String, String> kmsKeyIds) {
    this(
        mode,
        region,
        kmsEndpoint,
        kmsProxyAddress,
        credentials,
        rootCertificate,
        pcrs,
        debug,
        kmsKeyIds,
        mode == NitroMode.EMULATED ? EnclaveEnvironment.EMULATED_ENCLAVE_CID : null);
  }

  private EnclaveRuntimeInfo(
      NitroMode mode,
      String region,
      URI kmsEndpoint,
      VsockAddress kmsProxyAddress,
      AwsCredentialsProvider credentials,
      X509Certificate rootCertificate,
      SortedMap<Integer, byte[]> pcrs,
      boolean debug,
      Map<String, String> kmsKeyIds,
      Long enclaveCid) {
    this.enclaveCid = enclaveCid;
    this.mode = Objects.requireNonNull(mode, "mode");
    this.region = Objects.requireNonNull(region, "region");
    this.kmsEndpoint = Objects.requireNonNull(kmsEndpoint, "kmsEndpoint");
    this.kmsProxyAddress = kmsProxyAddress;
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.rootCertificate = Objects.requireNonNull(rootCertificate, "rootCertificate");
    TreeMap<Integer, byte[]> copy = new TreeMap<>();
    pcrs.forEach((index, value) -> copy.put(index, value.clone()));
    this.pcrs = Collections.unmodifiableSortedMap(copy);
    this.debug = debug;
    this.kmsKeyIds = Map.copyOf(kmsKeyIds);
  }

  /** The same facts for an enclave with CID {@code cid} (an {@link EnclaveHost}'s). */
  EnclaveRuntimeInfo withEnclaveCid(long cid) {
    return new EnclaveRuntimeInfo(
        mode,
        region,
        kmsEndpoint,
        kmsProxyAddress,
        credentials,
        rootCertificate,
        pcrs,
        debug,
        kmsKeyIds,
        cid);
  }

  /**
   * The enclave's vsock CID: an {@link EnclaveHost}'s (e.g. an enclave container's) when the
   * environment serves one, else {@value EnclaveEnvironment#EMULATED_ENCLAVE_CID} for the enclave
   * emulated in the test JVM; empty in real mode, where the enclave does not learn it from here.
   */
  public OptionalLong enclaveCid() {
    return enclaveCid == null ? OptionalLong.empty() : OptionalLong.of(enclaveCid);
  }

  /** Emulated or real. */
  public NitroMode mode() {
    return mode;
  }

  /** The AWS region of KMS (emulated: the profile's region). */
  public String region() {
    return region;
  }

  /**
   * The KMS endpoint the injected clients call: the mock's {@code http://127.0.0.1:<port>} when
   * emulated, {@code https://kms.<region>.amazonaws.com} (reached through vsock-proxy) when real.
   */
  public URI kmsEndpoint() {
    return kmsEndpoint;
  }

  /**
   * The vsock-proxy to KMS: in real mode the parent's ({@code vsock://3:<nitro.kms.proxyPort>});
   * when emulated, the one {@link StackServices.Builder#kmsProxyPort(long)} asked for, else empty.
   */
  public Optional<VsockAddress> kmsProxyAddress() {
    return Optional.ofNullable(kmsProxyAddress);
  }

  /**
   * The credentials the injected KMS client signs with (emulated: the mock's {@code test}/{@code
   * test}).
   */
  public AwsCredentialsProvider credentials() {
    return credentials;
  }

  /**
   * The root attestation documents chain to: the environment's emulator root, or the AWS Nitro root
   * when real.
   */
  public X509Certificate rootCertificate() {
    return rootCertificate;
  }

  /**
   * PCRs 0..15 as the enclave image was measured (what {@code nitro-cli build-enclave} prints and
   * key policies name): from the profile, or read from the NSM at start in real mode without one.
   * In debug mode the NSM attests zeros for PCR0/1/2/8 instead.
   */
  public SortedMap<Integer, byte[]> pcrs() {
    TreeMap<Integer, byte[]> copy = new TreeMap<>();
    pcrs.forEach((index, value) -> copy.put(index, value.clone()));
    return copy;
  }

  /**
   * One measured PCR (0..15).
   *
   * @throws IllegalArgumentException for another index
   */
  public byte[] pcr(int index) {
    byte[] value = pcrs.get(index);
    if (value == null) {
      throw new IllegalArgumentException("measured PCRs are 0..15, got " + index);
    }
    return value.clone();
  }

  /** One measured PCR as lowercase hex, the form key policy conditions compare. */
  public String pcrHex(int index) {
    return HexFormat.of().formatHex(pcr(index));
  }

  /** Whether the enclave runs in debug mode (its attested PCR0/1/2/8 are zero). */
  public boolean debug() {
    return debug;
  }

  /** The declared KMS keys: key id (or ARN, when real) by alias without {@code alias/}. */
  public Map<String, String> kmsKeyIds() {
    return kmsKeyIds;
  }

  /**
   * The key id of a declared KMS key.
   *
   * @param alias the alias, with or without {@code alias/}
   * @throws IllegalArgumentException naming the declared aliases if there is no such key
   */
  public String kmsKeyId(String alias) {
    Objects.requireNonNull(alias, "alias");
    String name = alias.startsWith("alias/") ? alias.substring("alias/".length()) : alias;
    String id = kmsKeyIds.get(name);
    if (id == null) {
      throw new IllegalArgumentException(
          "no KMS key declared with alias '"
              + name
              + "'; declared: "
              + new TreeMap<>(kmsKeyIds).keySet()
              + " (declare keys with @NitroEnclaveTest(kmsKeys = ...))");
    }
    return id;
  }

  @Override
  public String toString() {
    return "EnclaveRuntimeInfo[mode="
        + mode
        + ", region="
        + region
        + ", kmsEndpoint="
        + kmsEndpoint
        + (kmsProxyAddress == null ? "" : ", kmsProxy=" + kmsProxyAddress)
        + (enclaveCid == null ? "" : ", enclaveCid=" + enclaveCid)
        + ", debug="
        + debug
        + ", kmsKeys="
        + new TreeMap<>(kmsKeyIds).keySet()
        + "]";
  }
}

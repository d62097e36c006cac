package dev.nitroemu.bench;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.StreamConnection;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.VsockProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The one emulator stack the soak runs against, in this JVM: an emulated {@link EnclaveEnvironment}
 * (software NSM, emulated vsock network, KMS mock, a key decryptable only by an enclave with the
 * profile's PCR0), the NSM served on {@code vsock://3:9797}, an echo server on {@code
 * vsock://3:5000}, and a {@link VsockProxy} on {@code vsock://3:8000} to a TCP echo server on
 * 127.0.0.1.
 */
final class SoakStack implements AutoCloseable {

  /**
   * Alias of the KMS key whose policy allows Decrypt only with a Recipient attesting the profile's
   * PCR0.
   */
  static final String ENCLAVE_KEY_ALIAS = "soak-enclave";

  static final VsockAddress NSM_ADDRESS = RemoteNsm.DEFAULT_ADDRESS;
  static final VsockAddress ECHO_ADDRESS = VsockAddress.of(VsockAddress.CID_PARENT, 5000);
  static final VsockAddress PROXY_ADDRESS = VsockAddress.of(VsockAddress.CID_PARENT, 8000);

  /**
   * Connections the proxy forwards at once: more than the soak's proxy clients, so none waits for a
   * worker.
   */
  static final int PROXY_WORKERS = 16;

  private static final String ENCLAVE_KEY_POLICY =
      """
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "AdministerAndEncrypt", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::${ACCOUNT_ID}:root"},
         "Action": ["kms:Encrypt", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy"], "Resource": "*"},
        {"Sid": "DecryptOnlyInsideTheEnclave", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::${ACCOUNT_ID}:root"},
         "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:PCR0": "${PCR0}"}}}]}
      """;

  private final EnclaveEnvironment env;
  private final NsmVsockServer nsmServer;
  private final StreamServer<VsockConnection, VsockAddress> vsockEcho;
  private final StreamServer<StreamConnection, InetSocketAddress> tcpEcho;
  private final VsockProxy proxy;

  private SoakStack(
      EnclaveEnvironment env,
      NsmVsockServer nsmServer,
      StreamServer<VsockConnection, VsockAddress> vsockEcho,
      StreamServer<StreamConnection, InetSocketAddress> tcpEcho,
      VsockProxy proxy) {
    this.env = env;
    this.nsmServer = nsmServer;
    this.vsockEcho = vsockEcho;
    this.tcpEcho = tcpEcho;
    this.proxy = proxy;
  }

  /** Starts everything; whatever started is closed again if a later step fails. */
  static SoakStack start() throws IOException {
    EnclaveEnvironment env =
        EnclaveEnvironment.builder()
            .mode(NitroMode.EMULATED)
            .kmsKey(ENCLAVE_KEY_ALIAS, ENCLAVE_KEY_POLICY)
            .start();
    NsmVsockServer nsmServer = null;
    StreamServer<VsockConnection, VsockAddress> vsockEcho = null;
    StreamServer<StreamConnection, InetSocketAddress> tcpEcho = null;
    try {
      nsmServer = NsmVsockServer.start(env.nsm(), env.transport(), NSM_ADDRESS);
      vsockEcho = EchoPeers.vsockServer(env.transport(), ECHO_ADDRESS);
      tcpEcho = EchoPeers.tcpServer();
      int echoPort = tcpEcho.localAddress().getPort();
      VsockProxy proxy =
          VsockProxy.builder(env.transport())
              .listenAddress(PROXY_ADDRESS)
              .destination("127.0.0.1", echoPort)
              .allowlist(ProxyAllowlist.allowing("127.0.0.1", echoPort))
              .workers(PROXY_WORKERS)
              .build()
              .start();
      return new SoakStack(env, nsmServer, vsockEcho, tcpEcho, proxy);
    } catch (IOException | RuntimeException e) {
      for (AutoCloseable started : new AutoCloseable[] {tcpEcho, vsockEcho, nsmServer, env}) {
        if (started != null) {
          Closeables.closeAfter(started, e);
        }
      }
      throw e;
    }
  }

  EnclaveEnvironment env() {
    return env;
  }

  /** The vsock addresses faults are injected on. */
  List<VsockAddress> faultTargets() {
    return List.of(NSM_ADDRESS, ECHO_ADDRESS, PROXY_ADDRESS);
  }

  /** One line: what is served where, and the connections open right now. */
  String describe() {
    return "nsm "
        + nsmServer.localAddress().toShortString()
        + " ("
        + nsmServer.activeConnections()
        + " conns), echo "
        + ECHO_ADDRESS.toShortString()
        + " ("
        + vsockEcho.activeConnections()
        + "), proxy "
        + proxy.localAddress().toShortString()
        + " -> tcp "
        + tcpEcho.localAddress().getPort()
        + " ("
        + proxy.activeConnections()
        + "), kms "
        + env.info().kmsEndpoint();
  }

  /** Closes the servers, then the environment (NSM, network, KMS mock, clients). */
  @Override
  public void close() {
    Closeables.closeQuietly(proxy);
    Closeables.closeQuietly(tcpEcho);
    Closeables.closeQuietly(vsockEcho);
    Closeables.closeQuietly(nsmServer);
    env.close();
  }
}

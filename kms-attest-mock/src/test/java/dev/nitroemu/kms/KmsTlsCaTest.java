package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

@Timeout(60)
class KmsTlsCaTest {
  private static final Instant NOW = Instant.parse("2026-03-14T09:26:53Z");

  @TempDir Path temp;

  @Test
  void anSdkClientTrustingTheCaTalksHttps() throws IOException {
    KmsTlsCa ca = KmsTlsCa.generate(Clock.systemUTC());
    try (KmsMockServer server = KmsMockServer.builder().tls(ca).build().start();
        KmsClient kms = httpsClient(server, ca)) {
      assertThat(server.endpoint()).hasToString("https://127.0.0.1:" + server.port());

      String keyId = kms.createKey(r -> r.description("over tls")).keyMetadata().keyId();

      assertThat(kms.listKeys().keys())
          .singleElement()
          .satisfies(k -> assertThat(k.keyId()).isEqualTo(keyId));
    }
  }

  @Test
  void aClientThatDoesNotTrustTheCaIsRefusedAtTheHandshake() throws IOException {
    KmsTlsCa ca = KmsTlsCa.generate(Clock.systemUTC());
    KmsTlsCa other = KmsTlsCa.generate(Clock.systemUTC());
    try (KmsMockServer server = KmsMockServer.builder().tls(ca).build().start();
        KmsClient kms = httpsClient(server, other)) {
      assertThatThrownBy(kms::listKeys)
          .isInstanceOf(SdkClientException.class)
          .hasCauseInstanceOf(SSLHandshakeException.class);
      assertThat(server.auditLog().size()).isZero();
    }
  }

  @Test
  void theServerCertificateNamesTheRegionalKmsHostAsTheNitroSdkConnectsToIt() throws Exception {
    KmsTlsCa ca = KmsTlsCa.generate(Clock.systemUTC());
    try (KmsMockServer server =
        KmsMockServer.builder().region("eu-central-1").tls(ca).build().start()) {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, ca.trustManagers(), null);
      try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), server.port());
          SSLSocket socket =
              (SSLSocket)
                  tls.getSocketFactory()
                      .createSocket(plain, "kms.eu-central-1.amazonaws.com", server.port(), true)) {
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        parameters.setServerNames(List.of(new SNIHostName("kms.eu-central-1.amazonaws.com")));
        socket.setSSLParameters(parameters);
        socket.startHandshake();

        X509Certificate leaf = (X509Certificate) socket.getSession().getPeerCertificates()[0];
        List<String> names =
            leaf.getSubjectAlternativeNames().stream()
                .map(name -> String.valueOf(name.get(1)))
                .toList();
        assertThat(names).contains("kms.eu-central-1.amazonaws.com", "localhost", "127.0.0.1");
        assertThat(leaf.getIssuerX500Principal())
            .isEqualTo(ca.certificate().getSubjectX500Principal());
        assertThat(socket.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");

        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST / HTTP/1.1\r\nHost: kms.eu-central-1.amazonaws.com\r\nContent-Length: 2\r\n"
                    + "X-Amz-Target: TrentService.ListKeys\r\nConnection: close\r\n\r\n{}")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String response =
            new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(response)
            .startsWith("HTTP/1.1 400 ")
            .contains("MissingAuthenticationTokenException");
      }
    }
  }

  @Test
  void theCaIsARealCaCertificateForTenYears() throws Exception {
    KmsTlsCa ca = KmsTlsCa.generate(Clock.fixed(NOW, ZoneOffset.UTC));
    X509Certificate certificate = ca.certificate();

    assertThat(certificate.getBasicConstraints()).isZero();
    assertThat(certificate.getSubjectX500Principal().getName()).contains("CN=nitro-emu KMS TLS CA");
    assertThat(certificate.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofHours(1)));
    assertThat(certificate.getNotAfter().toInstant())
        .isEqualTo(Instant.parse("2036-03-14T08:26:53Z"));
    certificate.verify(certificate.getPublicKey());
    X509Certificate parsed =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(
                        ca.certificatePem().getBytes(StandardCharsets.US_ASCII)));
    assertThat(parsed).isEqualTo(certificate);
  }

  @Test
  void savesAndLoadsTheCaWithAnOwnerOnlyKeyFile() throws IOException {
    KmsTlsCa ca = KmsTlsCa.generate(Clock.systemUTC());
    Path directory = temp.resolve("tls");
    ca.save(directory);

    KmsTlsCa loaded = KmsTlsCa.load(directory);

    assertThat(loaded.certificate()).isEqualTo(ca.certificate());
    assertThat(Files.readString(directory.resolve(KmsTlsCa.KEY_FILE)))
        .startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(Files.getPosixFilePermissions(directory.resolve(KmsTlsCa.KEY_FILE)))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(KmsTlsCa.loadOrCreate(directory, Clock.systemUTC()).certificate())
        .isEqualTo(ca.certificate());
    try (InputStream in = Files.newInputStream(directory.resolve(KmsTlsCa.CERTIFICATE_FILE))) {
      assertThat(CertificateFactory.getInstance("X.509").generateCertificate(in))
          .isEqualTo(ca.certificate());
    } catch (java.security.cert.CertificateException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void loadOrCreateMakesAndSavesACaWhenNoneExists() throws IOException {
    Path directory = temp.resolve("fresh");

    KmsTlsCa created = KmsTlsCa.loadOrCreate(directory, Clock.systemUTC());

    assertThat(KmsTlsCa.load(directory).certificate()).isEqualTo(created.certificate());
  }

  @Test
  void refusesAKeyThatDoesNotBelongToTheCertificate() throws IOException {
    Path first = temp.resolve("first");
    Path second = temp.resolve("second");
    KmsTlsCa.generate(Clock.systemUTC()).save(first);
    KmsTlsCa.generate(Clock.systemUTC()).save(second);
    Files.copy(
        second.resolve(KmsTlsCa.KEY_FILE),
        first.resolve(KmsTlsCa.KEY_FILE),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> KmsTlsCa.load(first))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not the key");
  }

  @Test
  void refusesFilesThatAreNotPem() throws IOException {
    Path directory = temp.resolve("garbage");
    Files.createDirectories(directory);
    Files.writeString(directory.resolve(KmsTlsCa.CERTIFICATE_FILE), "not a certificate");
    Files.writeString(directory.resolve(KmsTlsCa.KEY_FILE), "not a key");

    assertThatThrownBy(() -> KmsTlsCa.load(directory)).isInstanceOf(IOException.class);
  }

  private static KmsClient httpsClient(KmsMockServer server, KmsTlsCa trusted) {
    return KmsClient.builder()
        .endpointOverride(server.endpoint())
        .region(Region.of(server.region()))
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
        .httpClientBuilder(
            UrlConnectionHttpClient.builder().tlsTrustManagersProvider(trusted::trustManagers))
        .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
        .build();
  }
}

package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;

/**
 * Sixteen unmodified SDK clients hammer one KMS mock running in its own JVM with {@code -Xmx128m}:
 * every call must succeed, every Decrypt must return what was encrypted, and the audit log must
 * hold exactly one event per call.
 *
 * <p>Scale: {@value #CLIENTS} clients x {@code kms.load.opsPerClient} operations each (system
 * property; default {@value #DEFAULT_OPS_PER_CLIENT}, about 20 s on two cores). The full
 * run, {@code -Dkms.load.opsPerClient=5000} (80,001 calls), takes about 95 s on two cores, where
 * the clients and the server share the CPU, so it is not the default.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class KmsLoadTest {
  static final int CLIENTS = 16;
  static final int DEFAULT_OPS_PER_CLIENT = 1000;
  private static final String HEAP_LIMIT = "-Xmx128m";

  @TempDir Path temp;

  @Test
  void sixteenClientsRunMixedOperationsWithoutFailureAndEveryCallIsAudited() throws Exception {
    int opsPerClient = Integer.getInteger("kms.load.opsPerClient", DEFAULT_OPS_PER_CLIENT);
    Path auditFile = temp.resolve("audit.jsonl");
    Process server = startServer(auditFile);
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      int port;
      try {
        port = Integer.parseInt(expect(out, "PORT"));
      } catch (IOException e) {
        throw new IOException(
            e.getMessage() + "; its stderr:\n" + Files.readString(temp.resolve("server.err")), e);
      }
      URI endpoint = URI.create("http://127.0.0.1:" + port);

      String keyId;
      try (KmsClient admin = client(endpoint)) {
        keyId = admin.createKey(r -> r.description("load")).keyMetadata().keyId();
      }
      AtomicLong calls = new AtomicLong(1);
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      long started = System.nanoTime();
      runClients(endpoint, keyId, opsPerClient, calls, failures);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

      Writer stdin = new OutputStreamWriter(server.getOutputStream(), StandardCharsets.UTF_8);
      stdin.write("stop\n");
      stdin.flush();
      long audited = Long.parseLong(expect(out, "AUDIT"));
      long heapMax = Long.parseLong(expect(out, "HEAP_MAX"));
      long heapPeak = Long.parseLong(expect(out, "HEAP_PEAK"));
      assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
      System.out.printf(
          "KmsLoadTest: %d clients x %d ops = %d calls in %d ms (%.0f calls/s); server heap peak"
              + " %d MiB of %d MiB%n",
          CLIENTS,
          opsPerClient,
          calls.get(),
          elapsed.toMillis(),
          calls.get() * 1e9 / elapsed.toNanos(),
          heapPeak >> 20,
          heapMax >> 20);

      assertThat(failures).as("failed calls").isEmpty();
      assertThat(calls.get()).isEqualTo(1L + (long) CLIENTS * opsPerClient);
      assertThat(audited).isEqualTo(calls.get());
      try (Stream<String> lines = Files.lines(auditFile)) {
        assertThat(lines.filter(line -> !line.contains("\"errorCode\"")).count())
            .isEqualTo(calls.get());
      }
      assertThat(server.exitValue()).isZero();
      assertThat(heapMax).isLessThanOrEqualTo(128L << 20);
    } finally {
      server.destroyForcibly();
    }
  }

  private static void runClients(
      URI endpoint,
      String keyId,
      int opsPerClient,
      AtomicLong calls,
      ConcurrentLinkedQueue<Throwable> failures)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    CountDownLatch ready = new CountDownLatch(CLIENTS);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int c = 0; c < CLIENTS; c++) {
        int clientNumber = c;
        done.add(
            pool.submit(
                () -> {
                  try (KmsClient kms = client(endpoint)) {
                    ready.countDown();
                    ready.await();
                    runMix(kms, keyId, clientNumber, opsPerClient, calls, failures);
                  }
                  return null;
                }));
      }
      for (Future<?> future : done) {
        future.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Encrypt, Decrypt (of that ciphertext), GenerateDataKey, GenerateRandom, DescribeKey, in turn.
   */
  private static void runMix(
      KmsClient kms,
      String keyId,
      int clientNumber,
      int ops,
      AtomicLong calls,
      ConcurrentLinkedQueue<Throwable> failures) {
    SecureRandom random = new SecureRandom();
    Map<String, String> context = Map.of("client", Integer.toString(clientNumber));
    byte[] plaintext = new byte[64];
    SdkBytes ciphertext = null;
    for (int i = 0; i < ops; i++) {
      try {
        switch (i % 5) {
          case 0 -> {
            random.nextBytes(plaintext);
            byte[] sent = plaintext.clone();
            ciphertext =
                kms.encrypt(
                        r ->
                            r.keyId(keyId)
                                .plaintext(SdkBytes.fromByteArray(sent))
                                .encryptionContext(context))
                    .ciphertextBlob();
          }
          case 1 -> {
            SdkBytes blob = ciphertext;
            byte[] back =
                kms.decrypt(r -> r.ciphertextBlob(blob).encryptionContext(context))
                    .plaintext()
                    .asByteArray();
            if (!java.util.Arrays.equals(back, plaintext)) {
              throw new AssertionError("Decrypt returned other bytes than were encrypted");
            }
          }
          case 2 -> {
            GenerateDataKeyResponse key =
                kms.generateDataKey(r -> r.keyId(keyId).keySpec(DataKeySpec.AES_256));
            if (key.plaintext().asByteArray().length != 32) {
              throw new AssertionError("data key is not 32 bytes");
            }
          }
          case 3 -> {
            if (kms.generateRandom(r -> r.numberOfBytes(32)).plaintext().asByteArray().length
                != 32) {
              throw new AssertionError("GenerateRandom did not return 32 bytes");
            }
          }
          default -> kms.describeKey(r -> r.keyId(keyId));
        }
      } catch (RuntimeException | AssertionError e) {
        failures.add(e);
      } finally {
        calls.incrementAndGet();
      }
    }
  }

  private static KmsClient client(URI endpoint) {
    return KmsClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
        .httpClientBuilder(Apache5HttpClient.builder().maxConnections(2))
        // A retried call would hide a server failure and break "audit count == call count".
        .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
        .build();
  }

  private Process startServer(Path auditFile) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder builder =
        new ProcessBuilder(
                java,
                HEAP_LIMIT,
                "-cp",
                classPath,
                KmsServerMain.class.getName(),
                auditFile.toString())
            .redirectError(temp.resolve("server.err").toFile());
    return builder.start();
  }

  private static String expect(BufferedReader out, String key) throws IOException {
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith(key + " ")) {
        return line.substring(key.length() + 1).trim();
      }
    }
    throw new IOException("server process ended before printing " + key);
  }
}

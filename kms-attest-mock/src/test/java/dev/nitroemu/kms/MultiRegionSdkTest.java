package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsTestClients.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.MultiRegionKey;
import software.amazon.awssdk.services.kms.model.MultiRegionKeyType;
import software.amazon.awssdk.services.kms.model.ReplicateKeyResponse;

/**
 * Multi-Region keys across the regions one mock serves, each reached by an unmodified AWS SDK v2
 * client configured for that region: us-east-1 (home) and eu-west-1.
 */
@Timeout(60)
class MultiRegionSdkTest {
  private static final String HOME = "us-east-1";
  private static final String EU = "eu-west-1";
  private final MutableTestClock clock =
      new MutableTestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));

  @TempDir Path state;

  @Test
  void aReplicaDecryptsInItsOwnRegionWhatThePrimaryEncrypted() throws IOException {
    String keyId;
    SdkBytes fromPrimary;
    try (KmsMockServer server = server();
        KmsClient us = client(server, HOME);
        KmsClient eu = client(server, EU)) {
      assertThat(server.regions()).containsExactly(HOME, EU);
      KeyMetadata primary =
          us.createKey(r -> r.multiRegion(true).description("global")).keyMetadata();
      keyId = primary.keyId();
      assertThat(keyId).matches("mrk-[0-9a-f]{32}");
      assertThat(primary.multiRegion()).isTrue();
      assertThat(primary.multiRegionConfiguration().multiRegionKeyType())
          .isEqualTo(MultiRegionKeyType.PRIMARY);
      assertThat(primary.multiRegionConfiguration().primaryKey())
          .isEqualTo(MultiRegionKey.builder().arn(arn(HOME, keyId)).region(HOME).build());
      assertThat(primary.multiRegionConfiguration().replicaKeys()).isEmpty();
      AwsErrorDetails notThere = error(() -> eu.describeKey(r -> r.keyId(keyId)));
      assertThat(notThere.errorCode()).isEqualTo("NotFoundException");
      assertThat(notThere.errorMessage()).isEqualTo("Key '" + arn(EU, keyId) + "' does not exist");
      fromPrimary =
          us.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("from us-east-1")))
              .ciphertextBlob();

      ReplicateKeyResponse replicated =
          us.replicateKey(r -> r.keyId(keyId).replicaRegion(EU).description("europe"));
      KeyMetadata replica = replicated.replicaKeyMetadata();
      assertThat(replica.arn()).isEqualTo(arn(EU, keyId));
      assertThat(replica.keyState()).isEqualTo(KeyState.CREATING);
      assertThat(replica.enabled()).isFalse();
      assertThat(replica.description()).isEqualTo("europe");
      assertThat(replica.multiRegionConfiguration().multiRegionKeyType())
          .isEqualTo(MultiRegionKeyType.REPLICA);
      assertThat(replica.multiRegionConfiguration().replicaKeys())
          .extracting(MultiRegionKey::region)
          .containsExactly(EU);
      assertThat(replicated.replicaPolicy())
          .contains("\"AWS\" : \"arn:aws:iam::000000000000:root\"");
      assertThat(replicated.replicaTags()).isEmpty();

      KeyMetadata euView = eu.describeKey(r -> r.keyId(keyId)).keyMetadata();
      assertThat(euView.keyState()).isEqualTo(KeyState.ENABLED);
      assertThat(euView.currentKeyMaterialId()).isEqualTo(primary.currentKeyMaterialId());
      assertThat(eu.decrypt(r -> r.ciphertextBlob(fromPrimary)).plaintext().asUtf8String())
          .isEqualTo("from us-east-1");
      assertThat(eu.decrypt(r -> r.ciphertextBlob(fromPrimary)).keyId()).isEqualTo(arn(EU, keyId));
      SdkBytes fromReplica =
          eu.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("from eu-west-1")))
              .ciphertextBlob();
      assertThat(us.decrypt(r -> r.ciphertextBlob(fromReplica)).plaintext().asUtf8String())
          .isEqualTo("from eu-west-1");
      assertThat(
              us.describeKey(r -> r.keyId(keyId))
                  .keyMetadata()
                  .multiRegionConfiguration()
                  .replicaKeys())
          .extracting(MultiRegionKey::arn)
          .containsExactly(arn(EU, keyId));
      assertThat(eu.listKeys().keys()).extracting(k -> k.keyArn()).containsExactly(arn(EU, keyId));

      AwsErrorDetails twice = error(() -> us.replicateKey(r -> r.keyId(keyId).replicaRegion(EU)));
      assertThat(twice.errorCode()).isEqualTo("AlreadyExistsException");
      AwsErrorDetails fromReplicaRegion =
          error(() -> eu.replicateKey(r -> r.keyId(keyId).replicaRegion(HOME)));
      assertThat(fromReplicaRegion.errorCode()).isEqualTo("UnsupportedOperationException");
      AwsErrorDetails unserved =
          error(() -> us.replicateKey(r -> r.keyId(keyId).replicaRegion("ap-south-1")));
      assertThat(unserved.errorCode()).isEqualTo("ValidationException");
      String single = us.createKey(r -> {}).keyMetadata().keyId();
      assertThat(
              error(() -> us.replicateKey(r -> r.keyId(single).replicaRegion(EU))).errorMessage())
          .isEqualTo(arn(HOME, single) + " is not a multi-Region key.");
      assertThat(error(() -> eu.describeKey(r -> r.keyId(single))).errorCode())
          .isEqualTo("NotFoundException");
      assertThat(error(() -> eu.describeKey(r -> r.keyId(arn(HOME, keyId)))).errorMessage())
          .isEqualTo("Invalid arn " + HOME);
    }

    try (KmsMockServer restarted = server();
        KmsClient eu = client(restarted, EU)) {
      assertThat(eu.decrypt(r -> r.ciphertextBlob(fromPrimary)).plaintext().asUtf8String())
          .isEqualTo("from us-east-1");
      assertThat(
              eu.describeKey(r -> r.keyId(keyId))
                  .keyMetadata()
                  .multiRegionConfiguration()
                  .primaryKey()
                  .region())
          .isEqualTo(HOME);
    }
  }

  @Test
  void rotationIsSetOnThePrimaryAndSharedAndThePrimaryRegionCanMove() throws IOException {
    try (KmsMockServer server = server();
        KmsClient us = client(server, HOME);
        KmsClient eu = client(server, EU)) {
      String keyId = us.createKey(r -> r.multiRegion(true)).keyMetadata().keyId();
      us.replicateKey(r -> r.keyId(keyId).replicaRegion(EU));
      AwsErrorDetails onReplica = error(() -> eu.enableKeyRotation(r -> r.keyId(keyId)));
      assertThat(onReplica.errorCode()).isEqualTo("UnsupportedOperationException");
      assertThat(error(() -> eu.rotateKeyOnDemand(r -> r.keyId(keyId))).errorCode())
          .isEqualTo("UnsupportedOperationException");

      us.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(90));
      assertThat(eu.getKeyRotationStatus(r -> r.keyId(keyId)).rotationPeriodInDays()).isEqualTo(90);
      SdkBytes old =
          us.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("old")))
              .ciphertextBlob();
      clock.advance(Duration.ofDays(91));
      SdkBytes rotated =
          eu.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("new")))
              .ciphertextBlob();
      assertThat(us.decrypt(r -> r.ciphertextBlob(rotated)).plaintext().asUtf8String())
          .isEqualTo("new");
      assertThat(eu.decrypt(r -> r.ciphertextBlob(old)).plaintext().asUtf8String())
          .isEqualTo("old");
      assertThat(eu.listKeyRotations(r -> r.keyId(keyId)).rotations()).hasSize(1);
      assertThat(us.listKeyRotations(r -> r.keyId(keyId)).rotations().get(0).keyMaterialId())
          .isEqualTo(eu.listKeyRotations(r -> r.keyId(keyId)).rotations().get(0).keyMaterialId());
      us.rotateKeyOnDemand(r -> r.keyId(keyId));
      assertThat(eu.describeKey(r -> r.keyId(keyId)).keyMetadata().currentKeyMaterialId())
          .isEqualTo(us.describeKey(r -> r.keyId(keyId)).keyMetadata().currentKeyMaterialId());

      assertThat(
              error(() -> us.updatePrimaryRegion(r -> r.keyId(keyId).primaryRegion("ap-south-1")))
                  .errorCode())
          .isEqualTo("NotFoundException");
      us.updatePrimaryRegion(r -> r.keyId(keyId).primaryRegion(EU));
      KeyMetadata euPrimary = eu.describeKey(r -> r.keyId(keyId)).keyMetadata();
      assertThat(euPrimary.multiRegionConfiguration().multiRegionKeyType())
          .isEqualTo(MultiRegionKeyType.PRIMARY);
      assertThat(euPrimary.multiRegionConfiguration().replicaKeys())
          .extracting(MultiRegionKey::region)
          .containsExactly(HOME);
      assertThat(
              us.describeKey(r -> r.keyId(keyId))
                  .keyMetadata()
                  .multiRegionConfiguration()
                  .multiRegionKeyType())
          .isEqualTo(MultiRegionKeyType.REPLICA);
      assertThat(
              error(() -> us.updatePrimaryRegion(r -> r.keyId(keyId).primaryRegion(EU)))
                  .errorCode())
          .isEqualTo("UnsupportedOperationException");
      eu.disableKeyRotation(r -> r.keyId(keyId));
      assertThat(us.getKeyRotationStatus(r -> r.keyId(keyId)).keyRotationEnabled()).isFalse();
      assertThat(server.auditLog().events())
          .filteredOn(e -> e.eventName().equals("UpdatePrimaryRegion"))
          .extracting(AuditEvent::awsRegion)
          .containsOnly(HOME);
      assertThat(server.auditLog().events())
          .filteredOn(e -> e.eventName().equals("DisableKeyRotation"))
          .extracting(AuditEvent::awsRegion)
          .containsExactly(EU);
    }
  }

  @Test
  void aRequestSignedForOneRegionIsRefusedByAnotherRegionsHostAndUnservedRegionsStayClosed()
      throws IOException {
    try (KmsMockServer server = server()) {
      KmsClient mismatched =
          KmsClient.builder()
              .endpointOverride(
                  java.net.URI.create("http://kms.eu-west-1.amazonaws.com:" + server.port()))
              .region(software.amazon.awssdk.regions.Region.US_EAST_1)
              .credentialsProvider(
                  () ->
                      software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                          "test", "test"))
              .httpClientBuilder(
                  software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder()
                      .proxyConfiguration(
                          p ->
                              p.endpoint(java.net.URI.create("http://127.0.0.1:" + server.port()))
                                  .useSystemPropertyValues(false)
                                  .useEnvironmentVariablesValues(false)))
              .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
              .build();
      try (mismatched) {
        AwsErrorDetails wrongHost = error(() -> mismatched.listKeys());
        assertThat(wrongHost.errorCode()).isEqualTo("InvalidSignatureException");
        assertThat(wrongHost.errorMessage())
            .isEqualTo("Credential should be scoped to a valid region, not 'us-east-1'. ");
      }
      try (KmsClient unserved = KmsTestClients.at(server, "ap-south-1", "test", "test", clock)) {
        assertThat(error(unserved::listKeys).errorMessage())
            .isEqualTo("Credential should be scoped to a valid region, not 'ap-south-1'. ");
      }
      assertThat(List.of(server.region())).containsExactly(HOME);
    }
  }

  private KmsMockServer server() throws IOException {
    return KmsMockServer.builder()
        .additionalRegions(EU)
        .clock(clock)
        .stateDirectory(state)
        .build()
        .start();
  }

  private KmsClient client(KmsMockServer server, String region) {
    return KmsTestClients.at(server, region, "test", "test", clock);
  }

  private static String arn(String region, String keyId) {
    return "arn:aws:kms:" + region + ":000000000000:key/" + keyId;
  }
}

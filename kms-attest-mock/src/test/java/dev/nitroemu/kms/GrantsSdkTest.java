package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsTestClients.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.CreateGrantResponse;
import software.amazon.awssdk.services.kms.model.GrantListEntry;
import software.amazon.awssdk.services.kms.model.GrantOperation;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.ListGrantsResponse;

/**
 * Grants with unmodified AWS SDK v2 clients of several principals: a key whose policy names only an
 * administrator role, and an application role that can use the key only through grants.
 */
@Timeout(60)
class GrantsSdkTest {
  private static final String ACCOUNT = "111122223333";
  private static final String ADMIN_ROLE = "arn:aws:iam::" + ACCOUNT + ":role/admin";
  private static final String APP_ROLE = "arn:aws:iam::" + ACCOUNT + ":role/app";
  private static final String APP_SESSION =
      "arn:aws:sts::" + ACCOUNT + ":assumed-role/app/i-0123456789abcdef0";
  private static final String AUDITOR = "arn:aws:iam::444455556666:user/auditor";
  private static final KmsCredentials ADMIN =
      new KmsCredentials(
          "admin", "admin-secret", "arn:aws:sts::" + ACCOUNT + ":assumed-role/admin/console");
  private static final KmsCredentials APP = new KmsCredentials("app", "app-secret", APP_SESSION);
  private static final KmsCredentials AUDITOR_KEYS =
      new KmsCredentials("auditor", "auditor-secret", AUDITOR);
  private static final KmsCredentials STRANGER =
      new KmsCredentials("stranger", "stranger-secret", "arn:aws:iam::999988887777:user/stranger");
  private static final String ADMIN_ONLY_POLICY =
      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
          + "\"Principal\":{\"AWS\":\""
          + ADMIN_ROLE
          + "\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}";
  private static final Map<String, String> BACKUP = Map.of("purpose", "backup");

  private final MutableTestClock clock =
      new MutableTestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));

  @TempDir Path state;

  @Test
  void aGranteeUsesExactlyTheGrantedOperationsWithinTheConstraint() throws IOException {
    try (KmsMockServer server = server();
        KmsClient admin = client(server, ADMIN);
        KmsClient app = client(server, APP);
        KmsClient auditor = client(server, AUDITOR_KEYS);
        KmsClient stranger = client(server, STRANGER)) {
      String keyId = admin.createKey(r -> r.policy(ADMIN_ONLY_POLICY)).keyMetadata().keyId();
      String arn = "arn:aws:kms:us-east-1:" + ACCOUNT + ":key/" + keyId;
      AwsErrorDetails before = error(() -> encrypt(app, keyId, BACKUP, List.of()));
      assertThat(before.errorCode()).isEqualTo("AccessDeniedException");
      assertThat(before.errorMessage())
          .isEqualTo(
              "User: "
                  + APP_SESSION
                  + " is not authorized to perform: kms:Encrypt"
                  + " on resource: "
                  + arn
                  + " because no resource-based policy allows the kms:Encrypt action");

      CreateGrantResponse grant =
          admin.createGrant(
              r ->
                  r.keyId(keyId)
                      .granteePrincipal(APP_ROLE)
                      .retiringPrincipal(AUDITOR)
                      .operations(GrantOperation.ENCRYPT, GrantOperation.DECRYPT)
                      .name("app-backup")
                      .constraints(c -> c.encryptionContextSubset(BACKUP)));
      assertThat(grant.grantId()).matches("[0-9a-f]{64}");
      SdkBytes blob =
          encrypt(
              app, keyId, Map.of("purpose", "backup", "host", "db-1"), List.of(grant.grantToken()));
      assertThat(
              app.decrypt(
                      r ->
                          r.ciphertextBlob(blob)
                              .encryptionContext(Map.of("purpose", "backup", "host", "db-1")))
                  .plaintext()
                  .asUtf8String())
          .isEqualTo("granted");
      assertThat(error(() -> encrypt(app, keyId, Map.of(), List.of())).errorCode())
          .isEqualTo("AccessDeniedException");
      assertThat(
              error(() -> encrypt(app, keyId, Map.of("purpose", "other"), List.of())).errorCode())
          .isEqualTo("AccessDeniedException");
      assertThat(
              error(
                      () ->
                          app.generateDataKey(
                              r -> r.keyId(keyId).numberOfBytes(32).encryptionContext(BACKUP)))
                  .errorMessage())
          .endsWith("because no resource-based policy allows the kms:GenerateDataKey action");
      AwsErrorDetails badToken =
          error(() -> encrypt(app, keyId, BACKUP, List.of("not-a-grant-token")));
      assertThat(badToken.errorCode()).isEqualTo("InvalidGrantTokenException");

      CreateGrantResponse retried =
          admin.createGrant(
              r ->
                  r.keyId(keyId)
                      .granteePrincipal(APP_ROLE)
                      .retiringPrincipal(AUDITOR)
                      .operations(GrantOperation.DECRYPT, GrantOperation.ENCRYPT)
                      .name("app-backup")
                      .constraints(c -> c.encryptionContextSubset(BACKUP)));
      assertThat(retried.grantId()).isEqualTo(grant.grantId());
      assertThat(retried.grantToken()).isNotEqualTo(grant.grantToken());
      String describeGrant =
          admin
              .createGrant(
                  r ->
                      r.keyId(keyId)
                          .granteePrincipal(APP_ROLE)
                          .operations(GrantOperation.DESCRIBE_KEY))
              .grantId();

      ListGrantsResponse grants = admin.listGrants(r -> r.keyId(keyId));
      assertThat(grants.grants())
          .extracting(GrantListEntry::grantId)
          .containsExactly(grant.grantId(), describeGrant);
      GrantListEntry entry = grants.grants().get(0);
      assertThat(entry.keyId()).isEqualTo(arn);
      assertThat(entry.name()).isEqualTo("app-backup");
      assertThat(entry.granteePrincipal()).isEqualTo(APP_ROLE);
      assertThat(entry.retiringPrincipal()).isEqualTo(AUDITOR);
      assertThat(entry.issuingAccount()).isEqualTo("arn:aws:iam::" + ACCOUNT + ":root");
      assertThat(entry.operations())
          .containsExactly(GrantOperation.ENCRYPT, GrantOperation.DECRYPT);
      assertThat(entry.constraints().encryptionContextSubset()).isEqualTo(BACKUP);
      assertThat(entry.creationDate()).isEqualTo(clock.instant());
      ListGrantsResponse page = admin.listGrants(r -> r.keyId(keyId).limit(1));
      assertThat(page.truncated()).isTrue();
      assertThat(admin.listGrants(r -> r.keyId(keyId).marker(page.nextMarker())).grants())
          .extracting(GrantListEntry::grantId)
          .containsExactly(describeGrant);
      assertThat(admin.listGrants(r -> r.keyId(keyId).grantId(describeGrant)).grants()).hasSize(1);
      assertThat(error(() -> admin.listGrants(r -> r.keyId(keyId).grantId("nope"))).errorCode())
          .isEqualTo("InvalidGrantIdException");
      assertThat(auditor.listRetirableGrants(r -> r.retiringPrincipal(AUDITOR)).grants())
          .extracting(GrantListEntry::grantId)
          .containsExactly(grant.grantId());
      assertThat(app.describeKey(r -> r.keyId(keyId)).keyMetadata().keyId()).isEqualTo(keyId);

      AwsErrorDetails notRetiring =
          error(() -> stranger.retireGrant(r -> r.grantToken(grant.grantToken())));
      assertThat(notRetiring.errorCode()).isEqualTo("AccessDeniedException");
      auditor.retireGrant(r -> r.grantToken(grant.grantToken()));
      assertThat(
              error(
                      () ->
                          app.decrypt(
                              r ->
                                  r.ciphertextBlob(blob)
                                      .encryptionContext(
                                          Map.of("purpose", "backup", "host", "db-1"))))
                  .errorCode())
          .isEqualTo("AccessDeniedException");
      admin.revokeGrant(r -> r.keyId(keyId).grantId(describeGrant));
      assertThat(error(() -> app.describeKey(r -> r.keyId(keyId))).errorCode())
          .isEqualTo("AccessDeniedException");
      AwsErrorDetails gone =
          error(() -> admin.revokeGrant(r -> r.keyId(keyId).grantId(describeGrant)));
      assertThat(gone.errorCode()).isEqualTo("NotFoundException");
      assertThat(admin.listGrants(r -> r.keyId(keyId)).grants()).isEmpty();
      assertThat(server.auditLog().events())
          .filteredOn(e -> e.eventName().equals("CreateGrant"))
          .allSatisfy(
              e -> {
                assertThat(e.responseElements().path("grantId").asText()).matches("[0-9a-f]{64}");
                assertThat(e.responseElements().has("grantToken")).isFalse();
              });
    }
  }

  @Test
  void createGrantChecksTheOperationsTheKeySupportsAndDryRun() throws IOException {
    try (KmsMockServer server = server();
        KmsClient admin = client(server, ADMIN)) {
      String symmetric = admin.createKey(r -> r.policy(ADMIN_ONLY_POLICY)).keyMetadata().keyId();
      AwsErrorDetails sign =
          error(
              () ->
                  admin.createGrant(
                      r ->
                          r.keyId(symmetric)
                              .granteePrincipal(APP_ROLE)
                              .operations(GrantOperation.SIGN)));
      assertThat(sign.errorCode()).isEqualTo("ValidationException");
      AwsErrorDetails dryRun =
          error(
              () ->
                  admin.createGrant(
                      r ->
                          r.keyId(symmetric)
                              .granteePrincipal(APP_ROLE)
                              .operations(GrantOperation.DECRYPT)
                              .dryRun(true)));
      assertThat(dryRun.errorCode()).isEqualTo("DryRunOperationException");
      assertThat(admin.listGrants(r -> r.keyId(symmetric)).grants()).isEmpty();
      AwsErrorDetails badGrantee =
          error(
              () ->
                  admin.createGrant(
                      r ->
                          r.keyId(symmetric)
                              .granteePrincipal("no spaces")
                              .operations(GrantOperation.DECRYPT)));
      assertThat(badGrantee.errorMessage())
          .isEqualTo(
              "1 validation error detected: Value 'no spaces' at"
                  + " 'granteePrincipal' failed to satisfy constraint: Member must satisfy regular expression pattern:"
                  + " ^[\\w+=,.@:/-]+$");

      String rsa =
          admin
              .createKey(
                  r ->
                      r.policy(ADMIN_ONLY_POLICY)
                          .keySpec(KeySpec.RSA_2048)
                          .keyUsage(KeyUsageType.ENCRYPT_DECRYPT))
              .keyMetadata()
              .keyId();
      AwsErrorDetails constrained =
          error(
              () ->
                  admin.createGrant(
                      r ->
                          r.keyId(rsa)
                              .granteePrincipal(APP_ROLE)
                              .operations(GrantOperation.DECRYPT)
                              .constraints(c -> c.encryptionContextEquals(BACKUP))));
      assertThat(constrained.errorCode()).isEqualTo("ValidationException");
      admin.createGrant(
          r -> r.keyId(rsa).granteePrincipal(APP_ROLE).operations(GrantOperation.GET_PUBLIC_KEY));

      admin.disableKey(r -> r.keyId(symmetric));
      AwsErrorDetails disabled =
          error(
              () ->
                  admin.createGrant(
                      r ->
                          r.keyId(symmetric)
                              .granteePrincipal(APP_ROLE)
                              .operations(GrantOperation.DECRYPT)));
      assertThat(disabled.errorCode()).isEqualTo("DisabledException");
    }
  }

  @Test
  void grantConditionKeysLimitCreateGrantAndGrantsPassOnOnlyWhatTheyHave() throws IOException {
    String policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":["
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
            + ADMIN_ROLE
            + "\"},\"Action\":[\"kms:PutKeyPolicy\","
            + "\"kms:DescribeKey\",\"kms:ListGrants\",\"kms:Encrypt\"],\"Resource\":\"*\"},"
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
            + ADMIN_ROLE
            + "\"},\"Action\":\"kms:CreateGrant\","
            + "\"Resource\":\"*\",\"Condition\":{\"ForAllValues:StringEquals\":{\"kms:GrantOperations\":"
            + "[\"Decrypt\",\"CreateGrant\"]},\"StringLike\":{\"kms:GranteePrincipal\":\"arn:aws:iam::"
            + ACCOUNT
            + ":role/app*\"}}}]}";
    try (KmsMockServer server = server();
        KmsClient admin = client(server, ADMIN);
        KmsClient app = client(server, APP)) {
      String keyId = admin.createKey(r -> r.policy(policy)).keyMetadata().keyId();
      assertThat(
              error(
                      () ->
                          admin.createGrant(
                              r ->
                                  r.keyId(keyId)
                                      .granteePrincipal(APP_ROLE)
                                      .operations(GrantOperation.DECRYPT, GrantOperation.ENCRYPT)))
                  .errorCode())
          .isEqualTo("AccessDeniedException");
      assertThat(
              error(
                      () ->
                          admin.createGrant(
                              r ->
                                  r.keyId(keyId)
                                      .granteePrincipal("arn:aws:iam::" + ACCOUNT + ":role/worker")
                                      .operations(GrantOperation.DECRYPT)))
                  .errorCode())
          .isEqualTo("AccessDeniedException");
      admin.createGrant(
          r ->
              r.keyId(keyId)
                  .granteePrincipal(APP_ROLE)
                  .operations(GrantOperation.DECRYPT, GrantOperation.CREATE_GRANT));

      String worker = "arn:aws:iam::" + ACCOUNT + ":role/worker";
      assertThat(
              app.createGrant(
                      r ->
                          r.keyId(keyId)
                              .granteePrincipal(worker)
                              .operations(GrantOperation.DECRYPT))
                  .grantId())
          .matches("[0-9a-f]{64}");
      assertThat(
              error(
                      () ->
                          app.createGrant(
                              r ->
                                  r.keyId(keyId)
                                      .granteePrincipal(worker)
                                      .operations(GrantOperation.ENCRYPT)))
                  .errorCode())
          .isEqualTo("AccessDeniedException");
      SdkBytes blob = encrypt(admin, keyId, Map.of(), List.of());
      assertThat(app.decrypt(r -> r.ciphertextBlob(blob)).plaintext().asUtf8String())
          .isEqualTo("granted");
    }
    try (KmsMockServer restarted = server();
        KmsClient admin = client(restarted, ADMIN);
        KmsClient app = client(restarted, APP)) {
      String keyId = admin.listKeys().keys().get(0).keyId();
      assertThat(admin.listGrants(r -> r.keyId(keyId)).grants()).hasSize(2);
      SdkBytes blob = encrypt(admin, keyId, Map.of(), List.of());
      assertThat(app.decrypt(r -> r.ciphertextBlob(blob)).plaintext().asUtf8String())
          .isEqualTo("granted");
    }
  }

  private KmsMockServer server() throws IOException {
    return KmsMockServer.builder()
        .accountId(ACCOUNT)
        .credentials(ADMIN, APP, AUDITOR_KEYS, STRANGER)
        .clock(clock)
        .stateDirectory(state)
        .build()
        .start();
  }

  private KmsClient client(KmsMockServer server, KmsCredentials credentials) {
    return KmsTestClients.at(
        server, server.region(), credentials.accessKeyId(), credentials.secretAccessKey(), clock);
  }

  private static SdkBytes encrypt(
      KmsClient kms, String keyId, Map<String, String> context, List<String> tokens) {
    return kms.encrypt(
            r ->
                r.keyId(keyId)
                    .plaintext(SdkBytes.fromUtf8String("granted"))
                    .encryptionContext(context)
                    .grantTokens(tokens))
        .ciphertextBlob();
  }
}

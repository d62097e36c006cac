package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.kms.AwsCli.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python AWS CLI against the mock for the key lifecycle: rotation, imported key material
 * wrapped by {@code openssl pkeyutl} as AWS's import guide shows, grants used by their grantee,
 * multi-Region replicas used from their own region, and the small operations, each with one of its
 * errors. Skipped with a reason when {@code aws} is not installed.
 */
@Timeout(600)
class KmsAwsCliLifecycleTest {
  private static final String ACCOUNT = KmsCredentials.defaults().accountId();
  private static final String HOME = "us-east-1";
  private static final String EU = "eu-west-1";
  private static final KmsCredentials ADMIN =
      new KmsCredentials("admin", "admin-secret", "arn:aws:iam::" + ACCOUNT + ":role/admin");
  private static final KmsCredentials APP =
      new KmsCredentials("app", "app-secret", "arn:aws:iam::" + ACCOUNT + ":role/app");

  @TempDir Path temp;
  private KmsMockServer server;
  private AwsCli admin;
  private AwsCli app;

  @BeforeEach
  void start() throws IOException {
    Assumptions.assumeTrue(
        KmsSignVerifyTest.onPath("aws"), "the AWS CLI (aws) is not on PATH; .ci/run installs it");
    server =
        KmsMockServer.builder()
            .region(HOME)
            .additionalRegions(EU)
            .credentials(ADMIN, APP)
            .build()
            .start();
    admin = new AwsCli(server, temp, ADMIN);
    app = new AwsCli(server, temp, APP);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private String newKey(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("create-key"));
    command.addAll(List.of(args));
    command.addAll(List.of("--query", "KeyMetadata.KeyId", "--output", "text"));
    return admin.kms(command.toArray(String[]::new)).ok();
  }

  private String encrypt(AwsCli cli, String region, String keyId, String file) throws Exception {
    String blob =
        cli.kmsIn(
                region,
                "encrypt",
                "--key-id",
                keyId,
                "--plaintext",
                "fileb://" + file,
                "--query",
                "CiphertextBlob",
                "--output",
                "text")
            .ok();
    Files.write(temp.resolve(file + ".enc"), Base64.getDecoder().decode(blob));
    return file + ".enc";
  }

  private String decrypt(AwsCli cli, String region, String blobFile) throws Exception {
    String plaintext =
        cli.kmsIn(
                region,
                "decrypt",
                "--ciphertext-blob",
                "fileb://" + blobFile,
                "--query",
                "Plaintext",
                "--output",
                "text")
            .ok();
    return new String(
        Base64.getDecoder().decode(plaintext), java.nio.charset.StandardCharsets.UTF_8);
  }

  private void assumeKnows(String command) throws Exception {
    Assumptions.assumeTrue(
        admin.knows(command), "this AWS CLI predates 'aws kms " + command + "' (2024)");
  }

  @Test
  void rotationKeepsEarlierCiphertextsDecryptable() throws Exception {
    assumeKnows("rotate-key-on-demand");
    Files.writeString(temp.resolve("secret.txt"), "before rotation");
    String keyId = newKey();
    String before = encrypt(admin, HOME, keyId, "secret.txt");

    admin.kms("enable-key-rotation", "--key-id", keyId, "--rotation-period-in-days", "90").ok();
    assertThat(
            admin
                .kms(
                    "get-key-rotation-status",
                    "--key-id",
                    keyId,
                    "--query",
                    "[KeyRotationEnabled,RotationPeriodInDays]",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("True\t90");
    admin.kms("rotate-key-on-demand", "--key-id", keyId).ok();
    assertThat(
            admin
                .kms(
                    "list-key-rotations",
                    "--key-id",
                    keyId,
                    "--query",
                    "length(Rotations)",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("1");
    assertThat(decrypt(admin, HOME, before)).isEqualTo("before rotation");
    String signing = newKey("--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY");
    admin
        .kms("rotate-key-on-demand", "--key-id", signing)
        .failsWith("UnsupportedOperationException");
    admin.kms("disable-key-rotation", "--key-id", keyId).ok();
    assertThat(
            admin
                .kms(
                    "get-key-rotation-status",
                    "--key-id",
                    keyId,
                    "--query",
                    "KeyRotationEnabled",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("False");
  }

  @Test
  void importedKeyMaterialWrappedByOpensslEncryptsUntilItIsDeleted() throws Exception {
    Assumptions.assumeTrue(KmsSignVerifyTest.onPath("openssl"), "openssl is not on PATH");
    String keyId = newKey("--origin", "EXTERNAL");
    Files.writeString(temp.resolve("secret.txt"), "imported");
    admin
        .kms("encrypt", "--key-id", keyId, "--plaintext", "fileb://secret.txt")
        .failsWith("KMSInvalidStateException", "is pending import.");

    String parameters =
        admin
            .kms(
                "get-parameters-for-import",
                "--key-id",
                keyId,
                "--wrapping-algorithm",
                "RSAES_OAEP_SHA_256",
                "--wrapping-key-spec",
                "RSA_2048",
                "--query",
                "[PublicKey,ImportToken]",
                "--output",
                "text")
            .ok();
    String[] fields = parameters.split("\t");
    Files.write(temp.resolve("wrapping-key.der"), Base64.getDecoder().decode(fields[0]));
    Files.write(temp.resolve("token.bin"), Base64.getDecoder().decode(fields[1]));
    KmsSignVerifyTest.run(
        List.of("openssl", "rand", "-out", temp.resolve("material.bin").toString(), "32"));
    KmsSignVerifyTest.run(
        List.of(
            "openssl",
            "pkeyutl",
            "-encrypt",
            "-in",
            temp.resolve("material.bin").toString(),
            "-out",
            temp.resolve("wrapped.bin").toString(),
            "-inkey",
            temp.resolve("wrapping-key.der").toString(),
            "-keyform",
            "DER",
            "-pubin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256"));
    assertThat(temp.resolve("wrapped.bin")).isNotEmptyFile();

    admin
        .kms(
            "import-key-material",
            "--key-id",
            keyId,
            "--encrypted-key-material",
            "fileb://wrapped.bin",
            "--import-token",
            "fileb://token.bin",
            "--expiration-model",
            "KEY_MATERIAL_DOES_NOT_EXPIRE")
        .ok();
    assertThat(decrypt(admin, HOME, encrypt(admin, HOME, keyId, "secret.txt")))
        .isEqualTo("imported");

    admin.kms("delete-imported-key-material", "--key-id", keyId).ok();
    assertThat(
            admin
                .kms(
                    "describe-key",
                    "--key-id",
                    keyId,
                    "--query",
                    "KeyMetadata.KeyState",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("PendingImport");
    admin
        .kms(
            "import-key-material",
            "--key-id",
            keyId,
            "--encrypted-key-material",
            "fileb://wrapped.bin",
            "--import-token",
            "fileb://secret.txt",
            "--expiration-model",
            "KEY_MATERIAL_DOES_NOT_EXPIRE")
        .failsWith("InvalidImportTokenException");
  }

  @Test
  void aGrantLetsItsGranteeEncryptUntilItIsRetiredAndAnotherUntilRevoked() throws Exception {
    String policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
            + "\""
            + ADMIN.principalArn()
            + "\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}";
    Files.writeString(temp.resolve("policy.json"), policy);
    String keyId = newKey("--policy", "file://policy.json");
    Files.writeString(temp.resolve("secret.txt"), "granted");
    app.kms("encrypt", "--key-id", keyId, "--plaintext", "fileb://secret.txt")
        .failsWith("AccessDeniedException", APP.principalArn(), "kms:Encrypt");

    String token =
        admin
            .kms(
                "create-grant",
                "--key-id",
                keyId,
                "--grantee-principal",
                APP.principalArn(),
                "--retiring-principal",
                APP.principalArn(),
                "--operations",
                "Encrypt",
                "Decrypt",
                "--name",
                "app-grant",
                "--query",
                "GrantToken",
                "--output",
                "text")
            .ok();
    assertThat(
            admin
                .kms(
                    "list-grants",
                    "--key-id",
                    keyId,
                    "--query",
                    "Grants[0].[Name,GranteePrincipal]",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("app-grant\t" + APP.principalArn());
    assertThat(
            admin
                .kms(
                    "list-retirable-grants",
                    "--retiring-principal",
                    APP.principalArn(),
                    "--query",
                    "length(Grants)",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("1");
    assertThat(decrypt(app, HOME, encrypt(app, HOME, keyId, "secret.txt"))).isEqualTo("granted");
    app.kms("generate-data-key", "--key-id", keyId, "--key-spec", "AES_256")
        .failsWith("AccessDeniedException", "kms:GenerateDataKey");

    app.kms("retire-grant", "--grant-token", token).ok();
    app.kms("encrypt", "--key-id", keyId, "--plaintext", "fileb://secret.txt")
        .failsWith("AccessDeniedException");

    String grantId =
        admin
            .kms(
                "create-grant",
                "--key-id",
                keyId,
                "--grantee-principal",
                APP.principalArn(),
                "--operations",
                "Encrypt",
                "--query",
                "GrantId",
                "--output",
                "text")
            .ok();
    app.kms("encrypt", "--key-id", keyId, "--plaintext", "fileb://secret.txt").ok();
    admin.kms("revoke-grant", "--key-id", keyId, "--grant-id", grantId).ok();
    app.kms("encrypt", "--key-id", keyId, "--plaintext", "fileb://secret.txt")
        .failsWith("AccessDeniedException");
    admin
        .kms("revoke-grant", "--key-id", keyId, "--grant-id", grantId)
        .failsWith("NotFoundException");
  }

  @Test
  void aMultiRegionReplicaDecryptsInItsOwnRegionAndCanBecomePrimary() throws Exception {
    String keyId = newKey("--multi-region");
    assertThat(keyId).startsWith("mrk-");
    String arn = "arn:aws:kms:" + HOME + ":" + ACCOUNT + ":key/" + keyId;
    Files.writeString(temp.resolve("secret.txt"), "everywhere");
    String blob = encrypt(admin, HOME, keyId, "secret.txt");
    admin.kmsIn(EU, "describe-key", "--key-id", keyId).failsWith("NotFoundException");

    admin.kms("replicate-key", "--key-id", keyId, "--replica-region", EU).ok();
    assertThat(decrypt(admin, EU, blob)).isEqualTo("everywhere");
    admin
        .kms("replicate-key", "--key-id", keyId, "--replica-region", EU)
        .failsWith("AlreadyExistsException");

    admin.kms("update-primary-region", "--key-id", arn, "--primary-region", EU).ok();
    assertThat(
            admin
                .kmsIn(
                    EU,
                    "describe-key",
                    "--key-id",
                    keyId,
                    "--query",
                    "KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("PRIMARY");
    assertThat(
            admin
                .kms(
                    "describe-key",
                    "--key-id",
                    keyId,
                    "--query",
                    "KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("REPLICA");

    String unknown = "mrk-" + "0123456789abcdef".repeat(2);
    admin
        .kms("describe-key", "--key-id", unknown)
        .failsWith(
            "NotFoundException",
            "Key 'arn:aws:kms:" + HOME + ":" + ACCOUNT + ":key/" + unknown + "' does not exist");
  }

  @Test
  void theSmallOperations() throws Exception {
    String first = newKey();
    String second = newKey("--description", "old");
    admin.kms("create-alias", "--alias-name", "alias/app", "--target-key-id", first).ok();
    admin.kms("update-alias", "--alias-name", "alias/app", "--target-key-id", second).ok();
    assertThat(
            admin
                .kms(
                    "describe-key",
                    "--key-id",
                    "alias/app",
                    "--query",
                    "KeyMetadata.KeyId",
                    "--output",
                    "text")
                .ok())
        .isEqualTo(second);
    String signing = newKey("--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY");
    admin
        .kms("update-alias", "--alias-name", "alias/app", "--target-key-id", signing)
        .failsWith("ValidationException", "cannot be moved");

    admin.kms("update-key-description", "--key-id", second, "--description", "new").ok();
    assertThat(
            admin
                .kms(
                    "describe-key",
                    "--key-id",
                    second,
                    "--query",
                    "KeyMetadata.Description",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("new");
    assertThat(
            admin
                .kms(
                    "list-key-policies",
                    "--key-id",
                    second,
                    "--query",
                    "PolicyNames",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("default");

    Result pair =
        admin.kms(
            "generate-data-key-pair-without-plaintext",
            "--key-id",
            second,
            "--key-pair-spec",
            "ECC_NIST_P256",
            "--query",
            "[KeyPairSpec,length(PublicKey)>`0`,length(PrivateKeyCiphertextBlob)>`0`]",
            "--output",
            "text");
    assertThat(pair.ok()).isEqualTo("ECC_NIST_P256\tTrue\tTrue");

    admin.kms("schedule-key-deletion", "--key-id", first, "--pending-window-in-days", "7").ok();
    assertThat(
            admin
                .kms(
                    "describe-key",
                    "--key-id",
                    first,
                    "--query",
                    "KeyMetadata.KeyState",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("PendingDeletion");
    admin.kms("cancel-key-deletion", "--key-id", first).ok();
    assertThat(
            admin
                .kms(
                    "describe-key",
                    "--key-id",
                    first,
                    "--query",
                    "KeyMetadata.KeyState",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("Disabled");
    admin.kms("cancel-key-deletion", "--key-id", first).failsWith("KMSInvalidStateException");
  }
}

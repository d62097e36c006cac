package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.ListResourceTagsResponse;
import software.amazon.awssdk.services.kms.model.Tag;

/**
 * Tags through the unmodified AWS SDK: on CreateKey, TagResource, UntagResource and
 * ListResourceTags, with AWS's limits and texts, key states, and the {@code aws:ResourceTag/<k>},
 * {@code aws:RequestTag/<k>} and {@code aws:TagKeys} condition keys.
 */
@Timeout(60)
class KmsTagsTest {
  private KmsMockServer server;
  private KmsClient kms;

  @BeforeEach
  void start() throws IOException {
    server = KmsMockServer.builder().build().start();
    kms = KmsTestClients.client(server);
  }

  @AfterEach
  void stop() {
    kms.close();
    server.close();
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().tagKey(key).tagValue(value).build();
  }

  private String arn(String keyId) {
    return "arn:aws:kms:us-east-1:000000000000:key/" + keyId;
  }

  @Test
  void tagsAreSetUpdatedListedAndRemoved() {
    String keyId =
        kms.createKey(
                r -> r.tags(tag("tag1", "value1"), tag("tag2", "value2"), tag("tag3", "value3")))
            .keyMetadata()
            .keyId();
    assertThat(kms.listResourceTags(r -> r.keyId(keyId)).tags())
        .containsExactly(tag("tag1", "value1"), tag("tag2", "value2"), tag("tag3", "value3"));

    kms.tagResource(
        r ->
            r.keyId(arn(keyId))
                .tags(tag("tag4", "value4"), tag("tag2", "updated_value2"), tag("tag5", "")));
    ListResourceTagsResponse listed = kms.listResourceTags(r -> r.keyId(keyId));
    assertThat(listed.tags())
        .containsExactly(
            tag("tag1", "value1"),
            tag("tag2", "updated_value2"),
            tag("tag3", "value3"),
            tag("tag4", "value4"),
            tag("tag5", ""));
    assertThat(listed.truncated()).isFalse();
    assertThat(listed.nextMarker()).isNull();

    kms.untagResource(r -> r.keyId(keyId).tagKeys("tag2", "no-such-tag"));
    assertThat(kms.listResourceTags(r -> r.keyId(keyId)).tags())
        .extracting(Tag::tagKey)
        .containsExactly("tag1", "tag3", "tag4", "tag5");
    // DescribeKey does not return tags (as in AWS), and tags do not reach other keys.
    String other = kms.createKey(r -> r.description("untagged")).keyMetadata().keyId();
    assertThat(kms.listResourceTags(r -> r.keyId(other)).tags()).isEmpty();
  }

  @Test
  void listingPagesByLimitAndMarker() {
    List<Tag> tags = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      tags.add(tag(String.format("key%02d", i), "value" + i));
    }
    String keyId = kms.createKey(r -> r.tags(tags)).keyMetadata().keyId();

    ListResourceTagsResponse first = kms.listResourceTags(r -> r.keyId(keyId).limit(20));
    ListResourceTagsResponse second =
        kms.listResourceTags(r -> r.keyId(keyId).limit(20).marker(first.nextMarker()));
    ListResourceTagsResponse third =
        kms.listResourceTags(r -> r.keyId(keyId).limit(20).marker(second.nextMarker()));

    assertThat(first.truncated()).isTrue();
    assertThat(third.truncated()).isFalse();
    List<Tag> all = new ArrayList<>(first.tags());
    all.addAll(second.tags());
    all.addAll(third.tags());
    assertThat(all).containsExactlyElementsOf(tags);
    assertThat(kms.listResourceTags(r -> r.keyId(keyId)).tags()).hasSize(50);
    assertError(
        () -> kms.listResourceTags(r -> r.keyId(keyId).limit(51)),
        "ValidationException",
        "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: "
            + "Member must have value less than or equal to 50");
  }

  @Test
  void awsLimitsAndReservedKeysAreRefused() {
    List<Tag> fiftyOne = new ArrayList<>();
    for (int i = 0; i <= 50; i++) {
      fiftyOne.add(tag("key" + i, "value" + i));
    }
    assertError(() -> kms.createKey(r -> r.tags(fiftyOne)), "TagException", "Too many tags");
    assertError(
        () -> kms.createKey(r -> r.tags(tag("aws:key1", "value1"))),
        "TagException",
        "Tags beginning with aws: are reserved");
    assertError(
        () -> kms.createKey(r -> r.tags(tag("AWS:key1", "value1"))),
        "TagException",
        "Tags beginning with aws: are reserved");
    String longKey = "a".repeat(129);
    assertError(
        () -> kms.createKey(r -> r.tags(tag("ok", "v"), tag(longKey, "value1"))),
        "ValidationException",
        "1 validation error detected: Value '"
            + longKey
            + "' at 'tags.2.member.tagKey' failed to satisfy constraint: "
            + "Member must have length less than or equal to 128");
    String longValue = "v".repeat(257);
    assertError(
        () -> kms.createKey(r -> r.tags(tag("tag1", longValue))),
        "ValidationException",
        "1 validation error detected: Value '"
            + longValue
            + "' at 'tags.1.member.tagValue' failed to satisfy "
            + "constraint: Member must have length less than or equal to 256");
    assertThat(kms.listKeys().keys()).as("no refused CreateKey made a key").isEmpty();

    String keyId =
        kms.createKey(r -> r.tags(tag("a".repeat(128), "v".repeat(256)))).keyMetadata().keyId();
    assertError(
        () -> kms.tagResource(r -> r.keyId(keyId).tags(tag("aws:key1", "value1"))),
        "TagException",
        "Tags beginning with aws: are reserved");
    assertError(
        () ->
            kms.tagResource(
                r -> r.keyId(keyId).tags(tag("tag1", "value1"), tag("tag1", "another-value1"))),
        "TagException",
        "Duplicate tag keys");
    List<Tag> fortyNine = new ArrayList<>(fiftyOne.subList(0, 49));
    kms.tagResource(r -> r.keyId(keyId).tags(fortyNine));
    assertError(
        () -> kms.tagResource(r -> r.keyId(keyId).tags(tag("one-too-many", "x"))),
        "TagException",
        "Too many tags");
    assertThat(kms.listResourceTags(r -> r.keyId(keyId)).tags()).hasSize(50);
    assertError(
        () -> kms.tagResource(r -> r.keyId("alias/tagged").tags(tag("k", "v"))),
        "NotFoundException",
        "Invalid keyId 'alias/tagged'");
  }

  @Test
  void tagsChangeOnlyOnKeysNotPendingDeletion() {
    String keyId = kms.createKey(r -> r.tags(tag("stage", "test"))).keyMetadata().keyId();
    kms.disableKey(r -> r.keyId(keyId));
    kms.tagResource(r -> r.keyId(keyId).tags(tag("disabled", "yes")));

    kms.scheduleKeyDeletion(r -> r.keyId(keyId).pendingWindowInDays(7));
    assertError(
        () -> kms.tagResource(r -> r.keyId(keyId).tags(tag("k", "v"))),
        "KMSInvalidStateException",
        arn(keyId) + " is pending deletion.");
    assertError(
        () -> kms.untagResource(r -> r.keyId(keyId).tagKeys("stage")),
        "KMSInvalidStateException",
        arn(keyId) + " is pending deletion.");
    assertThat(kms.listResourceTags(r -> r.keyId(keyId)).tags())
        .containsExactly(tag("disabled", "yes"), tag("stage", "test"));
  }

  @Test
  void policiesSeeResourceTagsRequestTagsAndTagKeys() {
    String policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":["
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"000000000000\"},"
            + "\"Action\":[\"kms:PutKeyPolicy\",\"kms:ListResourceTags\",\"kms:UntagResource\"],\"Resource\":\"*\"},"
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"000000000000\"},\"Action\":\"kms:Encrypt\",\"Resource\":\"*\","
            + "\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/Project\":\"alpha\"}}},"
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"000000000000\"},\"Action\":\"kms:TagResource\",\"Resource\":\"*\","
            + "\"Condition\":{\"StringEquals\":{\"aws:RequestTag/Project\":\"alpha\"},"
            + "\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"Project\",\"Owner\"]}}},"
            + "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"kms:UntagResource\",\"Resource\":\"*\","
            + "\"Condition\":{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":\"Project\"}}}]}";
    String keyId = kms.createKey(r -> r.policy(policy)).keyMetadata().keyId();
    SdkBytes plaintext = SdkBytes.fromUtf8String("x");
    String denied =
        "User: arn:aws:iam::000000000000:root is not authorized to perform: %s on resource: "
            + arn(keyId);

    assertError(
        () -> kms.encrypt(r -> r.keyId(keyId).plaintext(plaintext)),
        "AccessDeniedException",
        String.format(denied, "kms:Encrypt")
            + " because no resource-based policy allows the kms:Encrypt action");
    assertError(
        () -> kms.tagResource(r -> r.keyId(keyId).tags(tag("Project", "beta"))),
        "AccessDeniedException",
        String.format(denied, "kms:TagResource")
            + " because no resource-based policy allows the kms:TagResource action");
    assertError(
        () -> kms.tagResource(r -> r.keyId(keyId).tags(tag("Project", "alpha"), tag("Cost", "1"))),
        "AccessDeniedException",
        String.format(denied, "kms:TagResource")
            + " because no resource-based policy allows the kms:TagResource action");

    kms.tagResource(r -> r.keyId(keyId).tags(tag("Project", "alpha"), tag("Owner", "me")));
    assertThat(kms.encrypt(r -> r.keyId(keyId).plaintext(plaintext)).ciphertextBlob()).isNotNull();
    kms.untagResource(r -> r.keyId(keyId).tagKeys("Owner"));
    assertError(
        () -> kms.untagResource(r -> r.keyId(keyId).tagKeys("Project")),
        "AccessDeniedException",
        String.format(denied, "kms:UntagResource")
            + " with an explicit deny in a resource-based policy");
    assertThat(kms.listResourceTags(r -> r.keyId(keyId)).tags())
        .containsExactly(tag("Project", "alpha"));
  }
}

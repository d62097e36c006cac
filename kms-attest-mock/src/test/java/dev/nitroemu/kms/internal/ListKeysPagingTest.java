package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** ListKeys over thousands of keys: every key once, in key id order, whatever the page size. */
class ListKeysPagingTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String POLICY = KeyPolicy.defaultPolicyJson(KmsTestBed.ACCOUNT);
  private static final KeyPolicy PARSED = KeyPolicy.parse(POLICY);

  private final KmsTestBed bed = KmsTestBed.inMemory();
  private final Instant now = bed.clock.instant();

  @Test
  void pagingThrough2500KeysReturnsEachOnceInKeyIdOrder() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      expected.add(add(KmsTestBed.ACCOUNT).keyId());
    }
    for (int i = 0; i < 300; i++) {
      add(KmsTestBed.OTHER_ACCOUNT_ID);
    }
    KmsKey doomed = add(KmsTestBed.ACCOUNT);
    bed.store.update(
        doomed.keyId(),
        now,
        k -> k.withState(KeyState.PENDING_DELETION, now.plus(Duration.ofDays(7)), 7));
    bed.clock.advance(Duration.ofDays(8)); // past its deletion date: never listed
    expected.sort(null);

    for (Integer limit : new Integer[] {1000, null, 7}) {
      List<String> listed = new ArrayList<>();
      String marker = null;
      int pages = 0;
      do {
        String body =
            "{"
                + (limit == null ? "" : "\"Limit\": " + limit)
                + (marker == null
                    ? ""
                    : (limit == null ? "" : ", ") + "\"Marker\": \"" + marker + "\"")
                + "}";
        JsonNode page = bed.call("ListKeys", body).response();
        int size = page.get("Keys").size();
        page.get("Keys").forEach(k -> listed.add(k.get("KeyId").textValue()));
        boolean truncated = page.get("Truncated").booleanValue();
        assertThat(page.has("NextMarker")).isEqualTo(truncated);
        if (truncated) {
          assertThat(size).isEqualTo(limit == null ? 100 : limit);
        }
        marker = truncated ? page.get("NextMarker").textValue() : null;
        pages++;
      } while (marker != null);
      int perPage = limit == null ? 100 : limit;
      assertThat(listed).as("Limit %s", limit).containsExactlyElementsOf(expected);
      assertThat(pages).isEqualTo((expected.size() + perPage - 1) / perPage);
    }
    assertThat(bed.store.find(doomed.keyId(), bed.clock.instant())).isNull();
  }

  @Test
  void aMarkerThatNamesNoKeyContinuesAfterWhereItWouldSort() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      ids.add(add(KmsTestBed.ACCOUNT).keyId());
    }
    ids.sort(null);
    String between = ids.get(20) + "~"; // after ids[20], before ids[21]
    String marker =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(between.getBytes(StandardCharsets.UTF_8));

    JsonNode page =
        bed.call("ListKeys", "{\"Limit\": 5, \"Marker\": \"" + marker + "\"}").response();

    List<String> listed = new ArrayList<>();
    page.get("Keys").forEach(k -> listed.add(k.get("KeyId").textValue()));
    assertThat(listed).containsExactlyElementsOf(ids.subList(21, 26));
    assertThat(page.get("Truncated").booleanValue()).isTrue();
    String next =
        new String(
            Base64.getUrlDecoder().decode(page.get("NextMarker").textValue()),
            StandardCharsets.UTF_8);
    assertThat(next).isEqualTo(ids.get(25));
  }

  private KmsKey add(String account) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    KmsKey key =
        KeyDraft.newKey(
                UUID.randomUUID().toString(),
                account,
                KmsTestBed.REGION,
                "aws",
                now,
                "",
                KmsKeySpec.ENCRYPT_DECRYPT,
                KmsKeySpec.SYMMETRIC_DEFAULT,
                POLICY,
                PARSED)
            .generated(secret, null);
    bed.store.add(key);
    return key;
  }
}

package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Modifier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@link AuditEvent} is a small immutable value: field-based equality, no public builder. */
class AuditEventTest {
  private static final String KEY_ARN =
      "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  private static final UUID EVENT_ID = UUID.fromString("6f1b0ae1-54c2-4c3e-9f0e-2b3c4d5e6f70");

  private static AuditEvent event(String requestParameters, List<String> resources) {
    return new AuditEvent(
        AuditEvent.EVENT_VERSION,
        new AuditEvent.UserIdentity(
            "Root", "000000000000", "arn:aws:iam::000000000000:root", "000000000000", "test"),
        Instant.parse("2026-03-01T12:00:00.750Z"),
        "Decrypt",
        "us-east-1",
        "192.0.2.10",
        "aws-cli/2",
        null,
        null,
        requestParameters,
        null,
        "{\"recipient\":{\"attestationDocumentModuleId\":\"i-1-enc1\"}}",
        "req-1",
        EVENT_ID,
        true,
        resources,
        "000000000000");
  }

  @Test
  void equalFieldsMakeEqualEventsWhateverTheJsonSpacing() {
    AuditEvent compact = event("{\"keyId\":\"" + KEY_ARN + "\"}", List.of(KEY_ARN));
    AuditEvent spaced =
        event("{ \"keyId\" : \"" + KEY_ARN + "\" }", new ArrayList<>(List.of(KEY_ARN)));

    assertThat(spaced).isEqualTo(compact).hasSameHashCodeAs(compact);
    assertThat(spaced.requestParametersJson()).isEqualTo("{\"keyId\":\"" + KEY_ARN + "\"}");
    assertThat(compact.eventTime()).isEqualTo(Instant.parse("2026-03-01T12:00:00Z"));
    assertThat(compact.responseElementsJson()).isEqualTo("null");
    assertThat(AuditEvent.fromJson(compact.toJson())).isEqualTo(compact);
  }

  @Test
  void eventsDifferingInOneFieldAreNotEqual() {
    AuditEvent one = event("{\"keyId\":\"a\"}", List.of(KEY_ARN));

    assertThat(event("{\"keyId\":\"b\"}", List.of(KEY_ARN))).isNotEqualTo(one);
    assertThat(event("{\"keyId\":\"a\"}", List.of())).isNotEqualTo(one);
    assertThat(
            new AuditEvent(
                one.eventVersion(),
                one.userIdentity(),
                one.eventTime(),
                one.eventName(),
                one.awsRegion(),
                one.sourceIpAddress(),
                one.userAgent(),
                one.errorCode(),
                one.errorMessage(),
                one.requestParametersJson(),
                one.responseElementsJson(),
                one.additionalEventDataJson(),
                one.requestId(),
                UUID.randomUUID(),
                one.readOnly(),
                one.resources(),
                one.recipientAccountId()))
        .isNotEqualTo(one);
  }

  @Test
  void changingWhatTheAccessorsReturnDoesNotChangeTheEvent() {
    List<String> resources = new ArrayList<>(List.of(KEY_ARN));
    AuditEvent event = event("{\"keyId\":\"a\"}", resources);

    resources.clear();
    ((ObjectNode) event.requestParameters()).put("keyId", "changed");
    ((ObjectNode) event.additionalEventData()).remove("recipient");

    assertThat(event.resources()).containsExactly(KEY_ARN);
    assertThat(event.requestParameters().get("keyId").asText()).isEqualTo("a");
    assertThat(event.additionalEventData().has("recipient")).isTrue();
    assertThatThrownBy(() -> event.resources().add("x"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void jsonMembersMustBeObjects() {
    assertThatThrownBy(() -> event("{\"keyId\":", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("requestParameters");
    assertThatThrownBy(() -> event("[1,2]", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("requestParameters");
    assertThat(event(null, List.of()).requestParameters().isNull()).isTrue();
  }

  @Test
  void thePublicApiIsTheValueAndItsIdentityOnly() {
    assertThat(AuditEvent.class.isRecord()).isTrue();
    assertThat(
            Arrays.stream(AuditEvent.class.getDeclaredClasses())
                .filter(c -> Modifier.isPublic(c.getModifiers())))
        .containsExactly(AuditEvent.UserIdentity.class);
    assertThat(Arrays.stream(AuditEvent.class.getMethods()).map(m -> m.getName()))
        .doesNotContain("builder");
  }
}

package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.AttestationDocument;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Why a KMS call was denied, as the {@code additionalEventData.denial} member of its audit event
 * and as one line of text for the request log: the statement and the condition that decided, and
 * what the attestation document presented. The client still gets AWS's {@code
 * AccessDeniedException} text; this detail goes only to the audit and request logs.
 *
 * <p>The member: {@code decision} ({@code ExplicitDeny}, {@code ImplicitDeny}, {@code
 * AttestationRefused} or {@code CiphertextKeyNotFound}); {@code statements}: the Deny statement
 * that applied, or each Allow statement with {@code unmet} ({@code Principal}, {@code Action},
 * {@code Resource} or {@code Condition}) and, for a condition, the failed tests ({@code operator},
 * {@code key}, {@code expected}, {@code presented}); a statement has {@code sid} when it has one
 * and always {@code number} (its position, from 1); {@code callerGrants}: how many grants name the
 * caller (none of them permitted the call); {@code reason}: why an attestation document or a
 * ciphertext was refused; {@code attestation}: the verified document's {@code moduleId}, {@code
 * timestamp}, {@code ageSeconds} and PCRs 0, 1, 2 and 8 in lowercase hex. It holds policy text,
 * condition values and measurements: no plaintext, key or secret.
 */
public final class DenialDetails {
  /**
   * The PCRs the detail shows: image, kernel and boot ramdisk, application, signing certificate.
   */
  static final int[] SHOWN_PCRS = {0, 1, 2, 8};

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int MAX_STATEMENTS = 16;
  private static final int MAX_CONDITIONS = 8;
  private static final int MAX_VALUES = 8;
  private static final int MAX_VALUE = 256;
  private static final int SUMMARY_STATEMENTS = 4;
  private static final int SHORT_HEX = 16;
  private static final String ATTESTATION_KEY_PREFIX = "kms:recipientattestation:";

  private DenialDetails() {}

  /**
   * The detail of a key policy denial.
   *
   * @param callerGrants how many of the key's grants name the caller (none permitted the call)
   * @param attested the verified Recipient of the call, or null
   * @param now the request time, for the document's age
   */
  static ObjectNode policy(
      PolicyDenial denial, int callerGrants, AttestedRecipient attested, Instant now) {
    ObjectNode detail = NODES.objectNode();
    boolean explicit = denial.decision() == PolicyEvaluator.Decision.EXPLICIT_DENY;
    detail.put("decision", explicit ? "ExplicitDeny" : "ImplicitDeny");
    ArrayNode statements = detail.putArray("statements");
    for (PolicyDenial.StatementOutcome outcome : denial.statements()) {
      if (statements.size() == MAX_STATEMENTS) {
        detail.put("moreStatements", denial.statements().size() - MAX_STATEMENTS);
        break;
      }
      statements.add(statement(outcome));
    }
    if (!explicit) {
      detail.put("callerGrants", callerGrants);
    }
    if (attested != null) {
      detail.set("attestation", attestation(attested.document(), now));
    }
    return detail;
  }

  /**
   * The detail of a Recipient whose attestation document was refused before the key policy was
   * consulted.
   *
   * @param document the document when it verified (refused for its age), else null
   */
  static ObjectNode attestationRefused(String reason, AttestationDocument document, Instant now) {
    ObjectNode detail =
        NODES.objectNode().put("decision", "AttestationRefused").put("reason", reason);
    if (document != null) {
      detail.set("attestation", attestation(document, now));
    }
    return detail;
  }

  /**
   * The detail of a ciphertext whose key the caller's account does not have in the region called.
   */
  static ObjectNode ciphertextKeyNotFound(String keyId, String account, String region) {
    return NODES
        .objectNode()
        .put("decision", "CiphertextKeyNotFound")
        .put(
            "reason",
            "the ciphertext names key "
                + cut(keyId)
                + ", which account "
                + account
                + " does not have in "
                + region);
  }

  /**
   * The detail as one line, e.g. {@code no Allow statement matched: statement 'Enclave':
   * kms:RecipientAttestation:PCR0 StringEqualsIgnoreCase expected 1f2e... got 9a8b...; attestation
   * document: module i-0abc-enc0def, PCR0 9a8b..., ..., age 2 s}; null when {@code denial} is not a
   * detail object.
   */
  public static String summary(JsonNode denial) {
    if (denial == null || !denial.isObject() || !denial.path("decision").isTextual()) {
      return null;
    }
    StringBuilder line = new StringBuilder();
    JsonNode statements = denial.path("statements");
    switch (denial.path("decision").textValue()) {
      case "ExplicitDeny":
        line.append("explicit Deny in ").append(label(statements.path(0)));
        break;
      case "ImplicitDeny":
        implicitDeny(denial, statements, line);
        break;
      case "AttestationRefused":
        line.append("attestation document refused: ").append(denial.path("reason").asText("?"));
        break;
      default:
        line.append(denial.path("reason").asText(denial.path("decision").textValue()));
    }
    JsonNode attestation = denial.get("attestation");
    if (attestation != null && attestation.isObject()) {
      line.append("; attestation document: module ")
          .append(attestation.path("moduleId").asText("?"));
      for (int index : SHOWN_PCRS) {
        String pcr = attestation.path("pcr" + index).asText("");
        if (!pcr.isEmpty()) {
          line.append(", PCR")
              .append(index)
              .append(' ')
              .append(pcr.length() > SHORT_HEX ? pcr.substring(0, SHORT_HEX) + "..." : pcr);
        }
      }
      line.append(", age ").append(attestation.path("ageSeconds").asLong()).append(" s");
    } else if (conditionOnAttestation(statements)) {
      line.append("; the request carried no attestation document (Recipient)");
    }
    return line.toString();
  }

  private static void implicitDeny(JsonNode denial, JsonNode statements, StringBuilder line) {
    line.append("no Allow statement matched");
    int grants = denial.path("callerGrants").asInt(0);
    if (grants > 0) {
      line.append(" and none of the caller's ")
          .append(grants)
          .append(grants == 1 ? " grant" : " grants")
          .append(" permits the call");
    }
    List<JsonNode> shown = new ArrayList<>();
    for (JsonNode statement : statements) {
      if (statement.path("unmet").asText().equals("Condition")) {
        shown.add(statement); // The near misses explain best: only their conditions failed.
      }
    }
    if (shown.isEmpty()) {
      statements.forEach(shown::add);
    }
    if (shown.isEmpty()) {
      line.append(" (the policy has no Allow statement)");
      return;
    }
    String separator = ": ";
    for (JsonNode statement : shown.subList(0, Math.min(shown.size(), SUMMARY_STATEMENTS))) {
      line.append(separator).append(label(statement));
      separator = "; ";
      String unmet = statement.path("unmet").asText();
      if (!unmet.equals("Condition")) {
        line.append(" does not match the ").append(unmet.toLowerCase(Locale.ROOT));
        continue;
      }
      String between = ": ";
      for (JsonNode condition : statement.path("conditions")) {
        line.append(between)
            .append(condition.path("key").asText())
            .append(' ')
            .append(condition.path("operator").asText())
            .append(" expected ")
            .append(values(condition.path("expected")))
            .append(" got ")
            .append(
                condition.path("presented").isEmpty()
                    ? "nothing"
                    : values(condition.path("presented")));
        between = ", ";
      }
    }
    int more =
        Math.max(0, shown.size() - SUMMARY_STATEMENTS) + denial.path("moreStatements").asInt(0);
    if (more > 0) {
      line.append("; ").append(more).append(more == 1 ? " more statement" : " more statements");
    }
  }

  private static ObjectNode statement(PolicyDenial.StatementOutcome outcome) {
    ObjectNode statement = NODES.objectNode();
    if (outcome.sid() != null && !outcome.sid().isEmpty()) {
      statement.put("sid", cut(outcome.sid()));
    }
    statement.put("number", outcome.number());
    if (outcome.unmet() != null) {
      String name = outcome.unmet().name();
      statement.put("unmet", name.charAt(0) + name.substring(1).toLowerCase(Locale.ROOT));
    }
    if (!outcome.failed().isEmpty()) {
      ArrayNode conditions = statement.putArray("conditions");
      for (PolicyDenial.FailedCondition failed :
          outcome.failed().subList(0, Math.min(outcome.failed().size(), MAX_CONDITIONS))) {
        ObjectNode condition =
            conditions
                .addObject()
                .put("operator", failed.condition().operatorName().toString())
                .put("key", cut(failed.condition().key()));
        condition.set("expected", strings(failed.condition().values()));
        condition.set("presented", strings(failed.presented()));
      }
    }
    return statement;
  }

  private static ObjectNode attestation(AttestationDocument document, Instant now) {
    ObjectNode attestation =
        NODES
            .objectNode()
            .put("moduleId", cut(document.moduleId()))
            .put("timestamp", document.instant().toString())
            .put("ageSeconds", Duration.between(document.instant(), now).toSeconds());
    for (int index : SHOWN_PCRS) {
      byte[] pcr = document.pcr(index);
      if (pcr != null) {
        attestation.put("pcr" + index, HexFormat.of().formatHex(pcr));
      }
    }
    return attestation;
  }

  private static boolean conditionOnAttestation(JsonNode statements) {
    for (JsonNode statement : statements) {
      for (JsonNode condition : statement.path("conditions")) {
        if (condition
            .path("key")
            .asText()
            .toLowerCase(Locale.ROOT)
            .startsWith(ATTESTATION_KEY_PREFIX)) {
          return true;
        }
      }
    }
    return false;
  }

  private static String label(JsonNode statement) {
    return KeyPolicy.label(statement.path("sid").asText(null), statement.path("number").asInt());
  }

  private static String values(JsonNode values) {
    if (values.size() == 1) {
      return values.get(0).asText();
    }
    List<String> texts = new ArrayList<>();
    values.forEach(value -> texts.add(value.asText()));
    return texts.toString();
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = NODES.arrayNode();
    for (String value : values.subList(0, Math.min(values.size(), MAX_VALUES))) {
      array.add(cut(value));
    }
    return array;
  }

  private static String cut(String text) {
    return text == null || text.length() <= MAX_VALUE ? text : text.substring(0, MAX_VALUE) + "...";
  }
}

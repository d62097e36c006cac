package dev.nitroemu.kms;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.kms.internal.DenialDetails;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One KMS call as one line of a request log: when, which operation, on which key, by whom, the
 * decision and how long it took, and for a denial why. Made from the call's {@link AuditEvent}, so
 * it carries no plaintext, key material, ciphertext or secret; text from the request is cut to
 * {@value #MAX_FIELD} characters (the reason to {@value #MAX_REASON}) with control characters
 * replaced, so a client cannot forge log lines.
 *
 * @param time when the call arrived
 * @param operation the operation, e.g. {@code Decrypt} ({@code -} when the request named none)
 * @param key the key as the caller named it (key id, alias or ARN; a key ARN is shortened to its
 *     id), or {@code -}
 * @param principal the caller's principal ARN, or {@code -} when it was not authenticated
 * @param decision {@code allowed}, {@code denied} (AccessDeniedException), {@code failed
 *     <ErrorCode>} or {@code rejected <ErrorCode>} (refused before authentication)
 * @param reason for a denial, which statement and condition decided and what the attestation
 *     document presented (the audit event's {@code additionalEventData.denial}), e.g. {@code no
 *     Allow statement matched: statement 'Enclave': kms:RecipientAttestation:PCR0
 *     StringEqualsIgnoreCase expected 1f2e... got 9a8b...; attestation document: module
 *     i-0abc-enc0def, PCR0 9a8b..., age 2 s}; else null
 * @param latency how long the call took in the KMS mock, or null when not known (replayed audit
 *     events)
 * @param warnings the key policy lint's warnings for the policy this call set (CreateKey,
 *     PutKeyPolicy)
 */
public record RequestLogEntry(
    Instant time,
    String operation,
    String key,
    String principal,
    String decision,
    String reason,
    Duration latency,
    List<String> warnings) {

  /** The longest request-supplied text a line shows. */
  public static final int MAX_FIELD = 256;

  /** The longest denial reason a line shows. */
  public static final int MAX_REASON = 4096;

  private static final String ACCESS_DENIED = "AccessDeniedException";
  private static final Pattern DENIED_RESOURCE =
      Pattern.compile("on resource: (arn:[^ ]+:key/[0-9a-fA-F-]{1,64})");

  /** Checks that every field but the reason and the latency is present. */
  public RequestLogEntry {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(decision, "decision");
    warnings = List.copyOf(warnings);
  }

  /**
   * The entry for an audited call that arrived at {@code time} and took {@code latency} (null if
   * unknown).
   */
  public static RequestLogEntry of(AuditEvent event, Instant time, Duration latency) {
    String error = event.errorCode();
    String principal = event.userIdentity().arn();
    String decision =
        error == null
            ? "allowed"
            : error.equals(ACCESS_DENIED)
                ? "denied"
                : (principal == null ? "rejected " : "failed ") + clean(error);
    return new RequestLogEntry(
        time,
        clean(event.eventName()),
        key(event),
        principal == null ? "-" : clean(principal),
        decision,
        reason(event),
        latency,
        warnings(event));
  }

  /** The entry for an audit event read back from the log, at its recorded time, latency unknown. */
  public static RequestLogEntry of(AuditEvent event) {
    return of(event, event.eventTime(), null);
  }

  /** Whether the call was denied by a key policy (AccessDeniedException). */
  public boolean denied() {
    return decision.equals("denied");
  }

  /**
   * The line: {@code 2026-03-01T12:00:00.123Z Decrypt key=1234abcd-...
   * principal=arn:aws:iam::000000000000:root denied 4 ms: explicit Deny in statement 'DenyDebug'}.
   */
  public String toLine() {
    return time.truncatedTo(ChronoUnit.MILLIS)
        + " "
        + operation
        + " key="
        + key
        + " principal="
        + principal
        + " "
        + decision
        + (latency == null ? "" : " " + latency.toMillis() + " ms")
        + (reason == null ? "" : ": " + reason)
        + (warnings.isEmpty() ? "" : " warnings: " + String.join("; ", warnings));
  }

  private static String reason(AuditEvent event) {
    JsonNode additional = event.additionalEventData();
    String reason = additional == null ? null : DenialDetails.summary(additional.get("denial"));
    if (reason == null) {
      return null;
    }
    String printable = reason.replaceAll("\\p{Cntrl}", "?");
    return printable.length() <= MAX_REASON
        ? printable
        : printable.substring(0, MAX_REASON) + "...";
  }

  private static List<String> warnings(AuditEvent event) {
    JsonNode additional = event.additionalEventData();
    List<String> messages = new ArrayList<>();
    if (additional != null) {
      for (JsonNode warning : additional.path("warnings")) {
        String message = warning.path("message").asText("");
        if (!message.isEmpty()) {
          messages.add(message.replaceAll("\\p{Cntrl}", "?"));
        }
      }
    }
    return messages;
  }

  private static String key(AuditEvent event) {
    JsonNode parameters = event.requestParameters();
    JsonNode keyId = parameters == null ? null : parameters.get("keyId");
    String named = keyId != null && keyId.isTextual() ? keyId.textValue() : null;
    if (named == null) {
      List<String> resources = event.resources();
      named = resources.isEmpty() ? null : resources.get(0);
    }
    if (named == null && event.errorMessage() != null) {
      // A Decrypt names its key only in the ciphertext; AWS's AccessDeniedException text names the
      // resource.
      Matcher resource = DENIED_RESOURCE.matcher(event.errorMessage());
      named = resource.find() ? resource.group(1) : null;
    }
    if (named == null) {
      return "-";
    }
    int slash = named.indexOf(":key/");
    return clean(
        named.startsWith("arn:") && slash > 0 ? named.substring(slash + ":key/".length()) : named);
  }

  private static String clean(String text) {
    if (text == null || text.isEmpty()) {
      return "-";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_FIELD));
    for (int i = 0; i < text.length() && out.length() < MAX_FIELD; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) || Character.isWhitespace(c) ? '?' : c);
    }
    return out.toString();
  }
}

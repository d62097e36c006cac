package dev.nitroemu.kms;

import dev.nitroemu.kms.internal.KeyPolicy;
import dev.nitroemu.kms.internal.KmsError;
import dev.nitroemu.kms.internal.PolicyLinter;
import java.util.List;
import java.util.Objects;

/**
 * Warnings about key policies that are valid, and evaluated exactly as IAM does, but that probably
 * do not restrict what their author meant them to: the mistakes that silently remove an attestation
 * gate. The KMS mock reports them for every CreateKey and PutKeyPolicy (audit event {@code
 * additionalEventData.warnings}, server log at WARNING); {@code nitro-emu policy lint FILE} reports
 * them for a file.
 *
 * <p>Rules, each with its {@link Warning#rule()} id:
 *
 * <ul>
 *   <li>{@value #EMPTY_CONDITION}: an empty {@code Condition}, or an operator block without keys
 *       such as {@code {"StringEqualsIgnoreCase": {}}}; it constrains nothing, so the statement
 *       applies unconditionally.
 *   <li>{@value #ATTESTATION_WITHOUT_DOCUMENT}: in an Allow statement, a condition on a {@code
 *       kms:RecipientAttestation:*} key that holds when the request carries no attestation
 *       document: an {@code ...IfExists} operator, the {@code ForAllValues:} qualifier (vacuously
 *       true for a missing key) or a negated operator such as {@code StringNotEquals}. (In a Deny
 *       statement these widen the deny, which is safe, so they are not reported there.)
 *   <li>{@value #UNATTESTED_ALLOW}: an Allow statement grants {@code kms:Decrypt}, {@code
 *       kms:GenerateDataKey}, {@code kms:GenerateDataKeyPair} or {@code kms:DeriveSharedSecret}
 *       (directly or by wildcard) without any attestation condition, while another Allow statement
 *       grants the same action only with attestation: any one Allow suffices, so the attestation
 *       condition does not restrict that action. Not reported when a Deny statement for everyone
 *       refuses the action to requests without an attestation document.
 *   <li>{@value #ATTESTATION_VALUE}: a value of {@code kms:RecipientAttestation:PCR<n>} or {@code
 *       :ImageSha384} that cannot match: not 96 hexadecimal characters (a SHA-384 digest), a {@code
 *       0x} prefix, or upper-case hex under a case-sensitive operator (KMS presents lower-case
 *       hex). Wildcard values of {@code StringLike} are not checked.
 * </ul>
 */
public final class KeyPolicyLint {
  /** Rule id: an empty condition block. */
  public static final String EMPTY_CONDITION = "empty-condition";

  /** Rule id: an attestation condition that holds without an attestation document. */
  public static final String ATTESTATION_WITHOUT_DOCUMENT =
      "attestation-condition-without-document";

  /**
   * Rule id: an attestation-capable action allowed without attestation next to a statement
   * requiring it.
   */
  public static final String UNATTESTED_ALLOW = "unattested-allow";

  /** Rule id: a PCR or image digest value of the wrong form. */
  public static final String ATTESTATION_VALUE = "attestation-value";

  /**
   * One finding.
   *
   * @param rule the rule id, one of the constants of {@link KeyPolicyLint}
   * @param statement the statement, as {@code statement 'Sid'} or {@code statement #N} (1-based)
   * @param message what is wrong and why it matters; never contains secrets
   */
  public record Warning(String rule, String statement, String message) {
    public Warning {
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(statement, "statement");
      Objects.requireNonNull(message, "message");
    }

    /** One line: {@code <statement>: <message> [<rule>]}. */
    @Override
    public String toString() {
      return statement + ": " + message + " [" + rule + "]";
    }
  }

  private KeyPolicyLint() {}

  /**
   * Lints a key policy document.
   *
   * @return the warnings in statement order, empty for a clean policy
   * @throws IllegalArgumentException if the document is not a valid key policy; the message is the
   *     text CreateKey or PutKeyPolicy would answer with {@code MalformedPolicyDocumentException}
   */
  public static List<Warning> lint(String policyJson) {
    KeyPolicy policy;
    try {
      policy = KeyPolicy.parse(policyJson);
    } catch (KmsError e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return PolicyLinter.lint(policy);
  }
}

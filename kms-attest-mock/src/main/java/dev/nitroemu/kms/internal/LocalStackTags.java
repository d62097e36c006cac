package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import java.util.Map;

/**
 * LocalStack's CreateKey tags, honoured so that LocalStack users move over unchanged (unless the
 * server is strict, {@link KmsSettings#localStackTags()} false, when they are ordinary tags as in
 * AWS):
 *
 * <ul>
 *   <li>{@code _custom_id_}: the key id to use (a UUID; {@code mrk-} and 32 hex digits for a
 *       multi-Region key); the tag stays on the key, as in LocalStack;
 *   <li>{@code _custom_key_material_}: base64 key material (see {@link NewKeyMaterial#fromCustom});
 *       the tag is removed from the key and its value is never logged.
 * </ul>
 *
 * @param customId the requested key id, or null
 * @param customMaterial the decoded key material, or null
 */
record LocalStackTags(String customId, byte[] customMaterial) {
  static final String CUSTOM_ID = "_custom_id_";
  static final String CUSTOM_KEY_MATERIAL = "_custom_key_material_";

  /**
   * Reads the two tags from validated CreateKey tags and removes {@code _custom_key_material_} from
   * them.
   *
   * @param multiRegion whether the key is multi-Region (its id is then an {@code mrk-} id)
   * @throws KmsError ValidationException (mock-specific texts) for an id of the wrong form or
   *     material that is not base64
   */
  static LocalStackTags take(Map<String, String> tags, boolean multiRegion) {
    String customId = tags.get(CUSTOM_ID);
    if (customId != null) {
      customId = customId.strip();
      if (multiRegion && !KeyIdentifiers.isMultiRegionKeyId(customId)) {
        throw KmsError.validation(
            CUSTOM_ID + " of a multi-Region key must be mrk- and 32 hex digits.");
      }
      if (!multiRegion && !KeyIdentifiers.isKeyId(customId)) {
        throw KmsError.validation(
            CUSTOM_ID + " must be a key id (a UUID such as 1234abcd-12ab-34cd-56ef-1234567890ab).");
      }
    }
    String material = tags.remove(CUSTOM_KEY_MATERIAL);
    byte[] decoded = null;
    if (material != null) {
      try {
        decoded = Base64.getDecoder().decode(material.replaceAll("\\s", ""));
      } catch (IllegalArgumentException e) {
        decoded = new byte[0];
      }
      if (decoded.length == 0) {
        throw KmsError.validation(CUSTOM_KEY_MATERIAL + " must be base64 key material.");
      }
    }
    return new LocalStackTags(customId, decoded);
  }

  /**
   * A copy of a request's Tags with the value of any {@code _custom_key_material_} tag replaced by
   * CloudTrail's {@code HIDDEN_DUE_TO_SECURITY_REASONS}, for the audit log.
   */
  static JsonNode redact(JsonNode tags) {
    if (!tags.isArray()) {
      return tags;
    }
    JsonNode copy = tags.deepCopy();
    for (JsonNode tag : copy) {
      if (tag.isObject()
          && CUSTOM_KEY_MATERIAL.equals(tag.path("TagKey").asText(null))
          && tag.has("TagValue")) {
        ((ObjectNode) tag).put("TagValue", "HIDDEN_DUE_TO_SECURITY_REASONS");
      }
    }
    return copy;
  }
}

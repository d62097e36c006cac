package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TagResource, UntagResource and ListResourceTags.
 *
 * <p>Tags are validated by {@link KeyTags}; a key holds at most 50 (more after a TagResource is
 * {@code TagException: Too many tags}, the text of the per-request limit, inferred for the total).
 * The policy sees {@code aws:RequestTag/<key>} and {@code aws:TagKeys} (TagResource) or {@code
 * aws:TagKeys} (UntagResource), besides the key's own {@code aws:ResourceTag/<key>}. Tagging works
 * on Enabled and Disabled keys, not on keys pending deletion; listing works in every state. Tags
 * are listed in key order, paged by {@code Limit} (1..50, default 50) and {@code Marker}.
 */
final class TagOperations {
  private final OperationSupport support;

  TagOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult tagResource(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    LinkedHashMap<String, String> tags = KeyTags.parse(fields, "Tags", true, Set.of());
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:TagResource", Map.of(), null, KeyTags.requestContext(tags));
    KmsKey tagged =
        support.update(
            call,
            key,
            current -> {
              OperationSupport.requireNotPendingDeletion(current);
              LinkedHashMap<String, String> merged = new LinkedHashMap<>(current.tags());
              merged.putAll(tags);
              if (merged.size() > KeyTags.MAX_TAGS) {
                throw KeyTags.tooMany();
              }
              return merged.equals(current.tags()) ? current : current.withTags(merged);
            });
    return OperationSupport.result(OperationSupport.JSON.objectNode(), List.of(tagged.arn()), null);
  }

  KmsResult untagResource(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    if (!fields.has("TagKeys")) {
      throw RequestFields.notNull("TagKeys");
    }
    List<String> tagKeys = fields.stringList("TagKeys", Integer.MAX_VALUE);
    for (String tagKey : tagKeys) {
      int length = tagKey.codePointCount(0, tagKey.length());
      if (length < 1 || length > KeyTags.MAX_KEY) {
        throw RequestFields.validation(
            "'" + tagKeys + "'",
            "TagKeys",
            "Member must satisfy constraint: [Member must have length "
                + (length < 1
                    ? "greater than or equal to 1"
                    : "less than or equal to " + KeyTags.MAX_KEY)
                + "]");
      }
    }
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(
        call,
        key,
        "kms:UntagResource",
        Map.of(),
        null,
        Map.of("aws:TagKeys", List.copyOf(tagKeys)));
    KmsKey untagged =
        support.update(
            call,
            key,
            current -> {
              OperationSupport.requireNotPendingDeletion(current);
              LinkedHashMap<String, String> remaining = new LinkedHashMap<>(current.tags());
              remaining.keySet().removeAll(tagKeys); // removing a tag the key lacks is no error
              return remaining.size() == current.tags().size()
                  ? current
                  : current.withTags(remaining);
            });
    return OperationSupport.result(
        OperationSupport.JSON.objectNode(), List.of(untagged.arn()), null);
  }

  KmsResult listResourceTags(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    int limit =
        KeyManagementOperations.orDefault(
            fields.integer("Limit", 1, KeyTags.MAX_TAGS), KeyTags.MAX_TAGS);
    String after = KeyManagementOperations.Markers.decode(fields.string("Marker", 1, 1024));
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:ListResourceTags", Map.of(), null);
    List<Map.Entry<String, String>> sorted = new ArrayList<>(key.tags().entrySet());
    sorted.sort(Map.Entry.comparingByKey());
    List<Map.Entry<String, String>> page = new ArrayList<>();
    boolean truncated = false;
    for (Map.Entry<String, String> tag : sorted) {
      if (after != null && tag.getKey().compareTo(after) <= 0) {
        continue;
      }
      if (page.size() == limit) {
        truncated = true;
        break;
      }
      page.add(tag);
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    KeyTags.put(response, "Tags", page);
    if (truncated) {
      response.put(
          "NextMarker", KeyManagementOperations.Markers.encode(page.get(page.size() - 1).getKey()));
    }
    response.put("Truncated", truncated);
    return OperationSupport.result(response, List.of(key.arn()), null);
  }
}

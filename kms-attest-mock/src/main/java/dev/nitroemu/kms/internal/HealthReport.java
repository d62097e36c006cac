package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.Map;

/**
 * The JSON the health endpoint answers, in the spirit of LocalStack's {@code /_localstack/health}:
 * {@code {"status": "running", "services": {"kms": {"status": "running", "address": ..., "region":
 * ...}, "nsm": {...}, ...}}}, each service with its status and the addresses it is reached at. It
 * holds no credentials.
 */
public final class HealthReport {
  /** The content type of the report. */
  public static final String CONTENT_TYPE = "application/json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private HealthReport() {}

  /**
   * Renders the report.
   *
   * @param kmsEndpoint the KMS endpoint, or null while it is not known
   * @param region the KMS region
   * @param others further services by name, each a map of fields (e.g. {@code address}, {@code
   *     tcp}); a missing {@code status} reads as {@code running}
   */
  public static byte[] render(
      URI kmsEndpoint, String region, Map<String, Map<String, String>> others) {
    ObjectNode root = JSON.createObjectNode();
    root.put("status", "running");
    ObjectNode services = root.putObject("services");
    ObjectNode kms = services.putObject("kms");
    kms.put("status", "running");
    if (kmsEndpoint != null) {
      kms.put("address", kmsEndpoint.toString());
    }
    kms.put("region", region);
    others.forEach(
        (name, fields) -> {
          if (!name.equals("kms")) {
            ObjectNode service = services.putObject(name);
            service.put("status", fields.getOrDefault("status", "running"));
            fields.forEach(
                (field, value) -> {
                  if (!field.equals("status") && value != null) {
                    service.put(field, value);
                  }
                });
          }
        });
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the health report", e);
    }
  }
}

package dev.nitroemu.enclavetests;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.enclavetests.internal.ParentConnector;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the parent hands an enclave when it starts: temporary AWS credentials of the instance role
 * (never baked into the image) and settings such as the region, the KMS proxy port, key ids and the
 * expected measurements, as system properties.
 *
 * <p>The enclave fetches it from a {@link BootstrapServer} on the parent with {@link #fetch}; the
 * address comes from {@value #ADDRESS_PROPERTY} or {@value #ADDRESS_ENVIRONMENT_VARIABLE}. One
 * length-prefixed JSON frame carries {@code {"version":1,"credentials":{"accessKeyId":…,
 * "secretAccessKey":…,"sessionToken":…,"expiration":…},"properties":{"aws.region":"us-east-1",…}}}.
 * {@link #toString()} never shows the secret key or the session token.
 *
 * @param credentials the instance role's temporary credentials, or null
 * @param properties system properties for the tests (names {@code nitro.*} or {@code aws.*})
 */
public record EnclaveBootstrap(Credentials credentials, Map<String, String> properties) {

  /** System property naming the parent's bootstrap address, e.g. {@code vsock://3:8001}. */
  public static final String ADDRESS_PROPERTY = "nitro.bootstrap.address";

  /** Environment variable naming the bootstrap address when the property is not set. */
  public static final String ADDRESS_ENVIRONMENT_VARIABLE = "NITRO_BOOTSTRAP_ADDRESS";

  /** The vsock port the nightly scripts use. */
  public static final long DEFAULT_PORT = 8001;

  /** Largest bootstrap frame. */
  public static final int MAX_SIZE = 256 * 1024;

  /** Most properties. */
  public static final int MAX_PROPERTIES = 64;

  /** Longest property value (room for a measurements JSON document). */
  public static final int MAX_VALUE_LENGTH = 64 * 1024;

  private static final Pattern NAME = Pattern.compile("(nitro|aws)\\.[A-Za-z0-9._-]{1,120}");
  private static final ObjectMapper MAPPER =
      JsonMapper.builder(
              com.fasterxml.jackson.core.JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxStringLength(MAX_VALUE_LENGTH)
                          .maxNestingDepth(4)
                          .maxNumberLength(20)
                          .build())
                  .build())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException if a property name is not {@code nitro.*}/{@code aws.*}, a
   *     value is too long, there are too many, or a property would duplicate the credentials
   */
  public EnclaveBootstrap {
    properties = Map.copyOf(new TreeMap<>(properties));
    if (properties.size() > MAX_PROPERTIES) {
      throw new IllegalArgumentException("more than " + MAX_PROPERTIES + " properties");
    }
    for (Map.Entry<String, String> property : properties.entrySet()) {
      if (!NAME.matcher(property.getKey()).matches()) {
        throw new IllegalArgumentException(
            "property name must match nitro.* or aws.* (letters, digits, . _ -), was '"
                + abbreviate(property.getKey())
                + "'");
      }
      if (property.getValue().length() > MAX_VALUE_LENGTH) {
        throw new IllegalArgumentException(
            "property " + property.getKey() + " is longer than " + MAX_VALUE_LENGTH);
      }
      if (Credentials.SYSTEM_PROPERTIES.contains(property.getKey())) {
        throw new IllegalArgumentException(
            "property " + property.getKey() + " is reserved for the credentials");
      }
    }
  }

  /** The bootstrap address configured in this process, if any. */
  public static Optional<VsockAddress> configuredAddress() {
    return NitroSettings.system().get(ADDRESS_PROPERTY).map(VsockAddress::parse);
  }

  /**
   * Connects to the parent's bootstrap server and reads the bootstrap, retrying refused connections
   * until {@code timeout} passes (the parent may still be starting it).
   *
   * @throws IOException if the parent cannot be reached in time or sends something invalid
   */
  public static EnclaveBootstrap fetch(
      VsockTransport transport, VsockAddress parent, Duration timeout, Clock clock)
      throws IOException {
    Instant deadline = clock.instant().plus(timeout);
    try (VsockConnection connection =
        ParentConnector.connect(
            transport, parent, timeout, deadline, clock, "the bootstrap server")) {
      connection.readTimeout(timeout);
      byte[] frame = Frames.read(connection.inputStream(), MAX_SIZE);
      if (frame == null) {
        throw new IOException(
            "the bootstrap server at " + parent + " closed the connection without sending");
      }
      return decode(frame);
    }
  }

  /**
   * Sets the properties, and the credentials as {@code aws.accessKeyId}, {@code
   * aws.secretAccessKey} and {@code aws.sessionToken} (where the AWS SDK's default credentials
   * chain looks first).
   */
  public void applyToSystemProperties() {
    properties.forEach(System::setProperty);
    if (credentials != null) {
      System.setProperty("aws.accessKeyId", credentials.accessKeyId());
      System.setProperty("aws.secretAccessKey", credentials.secretAccessKey());
      if (credentials.sessionToken() != null) {
        System.setProperty("aws.sessionToken", credentials.sessionToken());
      }
    }
  }

  /** The JSON frame body. */
  public byte[] encode() {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("version", 1);
    if (credentials != null) {
      root.set("credentials", MAPPER.valueToTree(credentials));
    }
    root.set("properties", MAPPER.valueToTree(properties));
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the bootstrap", e);
    }
  }

  /**
   * Reads a JSON frame body.
   *
   * @throws IOException naming the problem (never echoing secret values) if the bytes are invalid
   */
  public static EnclaveBootstrap decode(byte[] json) throws IOException {
    if (json.length > MAX_SIZE) {
      throw new IOException("bootstrap of " + json.length + " bytes exceeds " + MAX_SIZE);
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IOException("bootstrap is not valid JSON");
    }
    if (root == null || !root.isObject() || root.path("version").asInt(-1) != 1) {
      throw new IOException("bootstrap must be a JSON object with \"version\": 1");
    }
    Map<String, String> properties = new TreeMap<>();
    JsonNode names = root.path("properties");
    if (!names.isMissingNode() && !names.isObject()) {
      throw new IOException("bootstrap \"properties\" must be an object");
    }
    for (Map.Entry<String, JsonNode> field : names.properties()) {
      if (!field.getValue().isTextual()) {
        throw new IOException(
            "bootstrap property " + abbreviate(field.getKey()) + " must be a string");
      }
      properties.put(field.getKey(), field.getValue().asText());
    }
    try {
      JsonNode credentials = root.path("credentials");
      return new EnclaveBootstrap(
          credentials.isObject() ? Credentials.fromJson(credentials) : null, properties);
    } catch (IllegalArgumentException e) {
      throw new IOException("invalid bootstrap: " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "EnclaveBootstrap[credentials="
        + credentials
        + ", properties="
        + properties.keySet()
        + "]";
  }

  private static String abbreviate(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }

  /**
   * Temporary AWS credentials; {@link #toString()} shows only the access key id.
   *
   * @param accessKeyId the access key id
   * @param secretAccessKey the secret access key
   * @param sessionToken the session token, or null for long-term keys
   * @param expiration when they expire (ISO-8601), or null
   */
  public record Credentials(
      String accessKeyId, String secretAccessKey, String sessionToken, String expiration) {

    static final java.util.Set<String> SYSTEM_PROPERTIES =
        java.util.Set.of("aws.accessKeyId", "aws.secretAccessKey", "aws.sessionToken");

    public Credentials {
      require("accessKeyId", accessKeyId, 128);
      require("secretAccessKey", secretAccessKey, 128);
      if (sessionToken != null) {
        require("sessionToken", sessionToken, 8192);
      }
      if (expiration != null) {
        require("expiration", expiration, 64);
      }
    }

    /**
     * Reads the instance metadata service's answer for a role ({@code
     * /latest/meta-data/iam/security-credentials/ROLE}: {@code AccessKeyId}, {@code
     * SecretAccessKey}, {@code Token}, {@code Expiration}, and {@code Code} that must be {@code
     * Success}).
     *
     * @throws IOException if the text is not such a document (values are never echoed)
     */
    public static Credentials fromInstanceMetadata(byte[] json) throws IOException {
      JsonNode root;
      try {
        root = MAPPER.readTree(json);
      } catch (IOException e) {
        throw new IOException("instance role credentials are not valid JSON");
      }
      if (root == null || !root.isObject()) {
        throw new IOException("instance role credentials must be a JSON object");
      }
      String code = root.path("Code").asText("Success");
      if (!"Success".equals(code)) {
        throw new IOException(
            "instance metadata reports Code=" + abbreviate(code) + " for the role credentials");
      }
      try {
        return new Credentials(
            text(root, "AccessKeyId"),
            text(root, "SecretAccessKey"),
            text(root, "Token"),
            text(root, "Expiration"));
      } catch (IllegalArgumentException e) {
        throw new IOException("instance role credentials: " + e.getMessage());
      }
    }

    static Credentials fromJson(JsonNode node) {
      return new Credentials(
          text(node, "accessKeyId"),
          text(node, "secretAccessKey"),
          text(node, "sessionToken"),
          text(node, "expiration"));
    }

    @Override
    public String toString() {
      return "Credentials[accessKeyId="
          + accessKeyId
          + ", secretAccessKey=***, sessionToken="
          + (sessionToken == null ? "none" : "***")
          + ", expiration="
          + expiration
          + "]";
    }

    private static String text(JsonNode node, String field) {
      JsonNode value = node.get(field);
      return value == null || value.isNull() ? null : value.asText();
    }

    private static void require(String field, String value, int limit) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(field + " is missing");
      }
      if (value.length() > limit) {
        throw new IllegalArgumentException(field + " is longer than " + limit + " characters");
      }
    }
  }
}

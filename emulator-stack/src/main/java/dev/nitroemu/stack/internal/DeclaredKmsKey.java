package dev.nitroemu.stack.internal;

import static java.util.stream.Collectors.joining;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.nsm.EnclaveProfile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A KMS key a test declares: an alias and a key policy template, read from a small JSON resource.
 *
 * <p>Format: {@code {"alias": "enclave-secret", "description": "optional", "policy": { ...key
 * policy... }}}. The alias may be given with or without the {@code alias/} prefix. In the policy,
 * {@code ${PCR0}} .. {@code ${PCR15}} stand for the profile's image measurements (lowercase hex, as
 * {@code nitro-cli build-enclave} prints them; a debug enclave still attests zeros and is denied,
 * as on hardware), {@code ${ACCOUNT_ID}} for the KMS account and {@code ${REGION}} for its region.
 * Other {@code ${...}} text with lowercase letters or a colon (IAM policy variables such as {@code
 * ${aws:username}}) is left alone; an unknown upper-case placeholder is an error.
 *
 * @param alias the alias without {@code alias/}
 * @param description the key description (may be empty)
 * @param policyTemplate the policy JSON before substitution
 * @param source where it came from, for error messages
 */
public record DeclaredKmsKey(
    String alias, String description, String policyTemplate, String source) {

  /** Largest declaration file read; real key policies are at most 32 KiB. */
  public static final int MAX_FILE_SIZE = 64 * 1024;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9/_-]{1,250}");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)}");
  private static final Set<String> FIELDS = Set.of("alias", "description", "policy");

  /** Validates the fields. */
  public DeclaredKmsKey {
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(policyTemplate, "policyTemplate");
    Objects.requireNonNull(source, "source");
    alias = alias.startsWith("alias/") ? alias.substring("alias/".length()) : alias;
    if (!ALIAS.matcher(alias).matches() || alias.startsWith("aws/")) {
      throw new IllegalArgumentException(
          source
              + ": alias must be 1..250 characters of [A-Za-z0-9/_-] and not"
              + " start with aws/, was '"
              + alias
              + "'");
    }
  }

  /** A declaration made in code, e.g. from the extension's builder. */
  public static DeclaredKmsKey of(String alias, String policyJson) {
    return new DeclaredKmsKey(alias, "", policyJson, "key '" + alias + "'");
  }

  /**
   * Reads a declaration from a classpath resource.
   *
   * @throws IllegalArgumentException if the resource is missing, too large or malformed (the
   *     message names it)
   */
  public static DeclaredKmsKey fromResource(String resource, ClassLoader loader) {
    String text = ClasspathResources.read(resource, loader, MAX_FILE_SIZE, "KMS key declaration");
    return parse(text, "KMS key declaration '" + resource + "'");
  }

  /**
   * Reads every {@code *.json} declaration in {@code directory}, in file name order.
   *
   * @throws IllegalArgumentException if the directory is missing or holds none, or a file is too
   *     large or malformed (the message names it)
   */
  public static List<DeclaredKmsKey> fromDirectory(Path directory) {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*.json")) {
      entries.forEach(files::add);
    } catch (NoSuchFileException | NotDirectoryException e) {
      throw new IllegalArgumentException(
          "KMS key declarations: " + directory + " is not a directory");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list KMS key declarations in " + directory, e);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "KMS key declarations: no *.json file in "
              + directory
              + " (each is {\"alias\": ..., \"policy\": {...}})");
    }
    files.sort(null);
    List<DeclaredKmsKey> keys = new ArrayList<>();
    for (Path file : files) {
      String source = "KMS key declaration " + file;
      byte[] bytes;
      try (InputStream in = Files.newInputStream(file)) {
        bytes = in.readNBytes(MAX_FILE_SIZE + 1);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + source, e);
      }
      if (bytes.length > MAX_FILE_SIZE) {
        throw new IllegalArgumentException(source + " is larger than " + MAX_FILE_SIZE + " bytes");
      }
      keys.add(parse(new String(bytes, StandardCharsets.UTF_8), source));
    }
    return keys;
  }

  /** Parses a declaration; {@code source} names it in error messages. */
  public static DeclaredKmsKey parse(String json, String source) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          source + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          source + " must be a JSON object with \"alias\" and \"policy\"");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw new IllegalArgumentException(
            source
                + " has an unknown field \""
                + name
                + "\" (known: alias,"
                + " description, policy)");
      }
    }
    JsonNode alias = root.get("alias");
    if (alias == null || !alias.isTextual()) {
      throw new IllegalArgumentException(
          source + " needs \"alias\" as a string, e.g. \"enclave-secret\"");
    }
    JsonNode policy = root.get("policy");
    if (policy == null || !policy.isObject()) {
      throw new IllegalArgumentException(
          source + " needs \"policy\" as a JSON object (the key policy)");
    }
    JsonNode description = root.get("description");
    if (description != null && !description.isTextual()) {
      throw new IllegalArgumentException(source + ": \"description\" must be a string");
    }
    return new DeclaredKmsKey(
        alias.textValue(),
        description == null ? "" : description.textValue(),
        policy.toString(),
        source);
  }

  /** The values of the placeholders for an environment with this profile, account and region. */
  public static Map<String, String> placeholders(
      EnclaveProfile profile, String accountId, String region) {
    Map<String, String> values = new LinkedHashMap<>();
    HexFormat hex = HexFormat.of();
    for (int i = 0; i < EnclaveProfile.BOOT_PCRS; i++) {
      values.put("PCR" + i, hex.formatHex(profile.imagePcr(i)));
    }
    values.put("ACCOUNT_ID", accountId);
    values.put("REGION", region);
    return values;
  }

  /**
   * The policy with every placeholder replaced.
   *
   * @throws IllegalArgumentException naming the first unknown placeholder
   */
  public String policy(Map<String, String> values) {
    Matcher matcher = PLACEHOLDER.matcher(policyTemplate);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String value = values.get(matcher.group(1));
      if (value == null) {
        throw new IllegalArgumentException(
            source
                + " uses the unknown placeholder ${"
                + matcher.group(1)
                + "}; known: "
                + values.keySet().stream().map(k -> "${" + k + "}").collect(joining(", ")));
      }
      matcher.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    matcher.appendTail(out);
    return out.toString();
  }
}

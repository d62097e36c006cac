package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.EifFile;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The JSON shapes nitro-cli prints for an EIF: {@code describe-eif} and {@code build-enclave}'s
 * measurements.
 */
final class EifDescription {
  /** nitro-cli prints the Rust Debug form of its hasher's algorithm, elided. */
  static final String HASH_ALGORITHM = "Sha384 { ... }";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> OPENSSL_LONG_NAMES =
      Map.of(
          "CN",
          "commonName",
          "C",
          "countryName",
          "O",
          "organizationName",
          "OU",
          "organizationalUnitName",
          "L",
          "localityName",
          "ST",
          "stateOrProvinceName",
          "EMAILADDRESS",
          "emailAddress",
          "DC",
          "domainComponent");
  private static final Map<String, String> SIGNATURE_ALGORITHMS =
      Map.of(
          "SHA384withECDSA",
          "ecdsa-with-SHA384",
          "SHA256withECDSA",
          "ecdsa-with-SHA256",
          "SHA512withECDSA",
          "ecdsa-with-SHA512",
          "SHA256withRSA",
          "sha256WithRSAEncryption",
          "SHA384withRSA",
          "sha384WithRSAEncryption",
          "SHA512withRSA",
          "sha512WithRSAEncryption");
  private static final DateTimeFormatter OPENSSL_TIME =
      DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy 'GMT'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private EifDescription() {}

  /** {@code {"Measurements": {...}}}, as {@code nitro-cli build-enclave} ends its output. */
  static ObjectNode measurements(EifFile eif) {
    ObjectNode root = JSON.createObjectNode();
    root.set("Measurements", pcrs(eif));
    return root;
  }

  /**
   * What {@code nitro-cli describe-eif} prints (field names and order from nitro-cli's
   * EifDescribeInfo).
   */
  static ObjectNode describe(EifFile eif) {
    ObjectNode root = JSON.createObjectNode();
    root.put("EifVersion", eif.version());
    root.set("Measurements", pcrs(eif));
    root.put("IsSigned", eif.isSigned());
    eif.signingCertificate()
        .ifPresent(certificate -> root.set("SigningCertificate", certificate(certificate)));
    root.put("CheckCRC", eif.crcOk());
    if (eif.isSigned()) {
      root.put("SignatureCheck", eif.signatureValid());
    }
    eif.imageName().ifPresent(name -> root.put("ImageName", name));
    eif.imageVersion().ifPresent(version -> root.put("ImageVersion", version));
    eif.metadata().ifPresent(metadata -> root.set("Metadata", metadata(metadata)));
    return root;
  }

  private static ObjectNode pcrs(EifFile eif) {
    ObjectNode pcrs = JSON.createObjectNode();
    pcrs.put("HashAlgorithm", HASH_ALGORITHM);
    HexFormat hex = HexFormat.of();
    eif.measurements().forEach((index, value) -> pcrs.put("PCR" + index, hex.formatHex(value)));
    return pcrs;
  }

  private static ObjectNode certificate(X509Certificate certificate) {
    ObjectNode info = JSON.createObjectNode();
    ObjectNode issuer = info.putObject("IssuerName");
    TreeMap<String, String> names = new TreeMap<>();
    try {
      for (Rdn rdn : new LdapName(certificate.getIssuerX500Principal().getName()).getRdns()) {
        String type = rdn.getType().toUpperCase(Locale.ROOT);
        names.put(
            OPENSSL_LONG_NAMES.getOrDefault(type, rdn.getType()), String.valueOf(rdn.getValue()));
      }
    } catch (InvalidNameException e) {
      names.put("name", certificate.getIssuerX500Principal().getName());
    }
    names.forEach(issuer::put);
    info.put(
        "Algorithm",
        SIGNATURE_ALGORITHMS.getOrDefault(
            certificate.getSigAlgName(), certificate.getSigAlgName()));
    info.put("NotBefore", OPENSSL_TIME.format(certificate.getNotBefore().toInstant()));
    info.put("NotAfter", OPENSSL_TIME.format(certificate.getNotAfter().toInstant()));
    info.put(
        "Signature",
        HexFormat.ofDelimiter(":").withUpperCase().formatHex(certificate.getSignature()));
    return info;
  }

  private static ObjectNode metadata(JsonNode metadata) {
    ObjectNode out = JSON.createObjectNode();
    JsonNode build = metadata.path("BuildMetadata");
    for (String field :
        new String[] {
          "BuildTime", "BuildTool", "BuildToolVersion", "OperatingSystem", "KernelVersion"
        }) {
      out.set(field, build.path(field).isMissingNode() ? JSON.nullNode() : build.get(field));
    }
    out.set(
        "DockerInfo",
        metadata.path("DockerInfo").isMissingNode() ? JSON.nullNode() : metadata.get("DockerInfo"));
    JsonNode custom = metadata.path("CustomMetadata");
    if (custom.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> fields = custom.fields(); fields.hasNext(); ) {
        Map.Entry<String, JsonNode> field = fields.next();
        out.set(field.getKey(), field.getValue());
      }
    }
    return out;
  }
}

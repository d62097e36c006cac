package dev.nitroemu.kms.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The parts of a SigV4 {@code Authorization} header: {@code AWS4-HMAC-SHA256
 * Credential=<id>/<date>/ <region>/<service>/aws4_request, SignedHeaders=<h1;h2;...>,
 * Signature=<hex>}.
 *
 * @param credential the credential value, access key id and scope
 * @param signedHeadersText the {@code SignedHeaders} value exactly as sent
 * @param signedHeaders the signed header names, lower case, in the order sent
 * @param signature the signature as sent
 */
record AuthorizationHeader(
    String credential, String signedHeadersText, List<String> signedHeaders, String signature) {

  /**
   * Parses {@code value}.
   *
   * @param hasDate whether the request carries {@code X-Amz-Date} or {@code Date}; its absence is
   *     reported together with missing parameters, as AWS does
   * @throws KmsError {@code IncompleteSignatureException} naming what is missing or unsupported
   */
  static AuthorizationHeader parse(String value, boolean hasDate) {
    String trimmed = value.trim();
    int space = indexOfWhitespace(trimmed);
    String algorithm = space < 0 ? trimmed : trimmed.substring(0, space);
    String rest = space < 0 ? "" : trimmed.substring(space + 1);
    if (algorithm.startsWith("AWS4-") && !algorithm.equals(SigV4Verifier.ALGORITHM)) {
      throw new KmsError(
          SigV4Verifier.INCOMPLETE,
          "Unsupported AWS 'algorithm': '" + SigV4Verifier.echo(algorithm) + "'");
    }
    String credential = null;
    String signedHeaders = null;
    String signature = null;
    if (algorithm.equals(SigV4Verifier.ALGORITHM)) {
      for (String part : rest.split(",", -1)) {
        String item = part.trim();
        int equals = item.indexOf('=');
        if (equals <= 0) {
          continue;
        }
        String name = item.substring(0, equals).trim();
        String text = item.substring(equals + 1).trim();
        if (text.isEmpty()) {
          continue;
        }
        if (name.equals("Credential")) {
          credential = checkUnique(credential, name, text);
        } else if (name.equals("SignedHeaders")) {
          signedHeaders = checkUnique(signedHeaders, name, text);
        } else if (name.equals("Signature")) {
          signature = checkUnique(signature, name, text);
        }
      }
    }
    StringBuilder missing = new StringBuilder();
    if (credential == null) {
      missing.append("Authorization header requires 'Credential' parameter. ");
    }
    if (signature == null) {
      missing.append("Authorization header requires 'Signature' parameter. ");
    }
    if (signedHeaders == null) {
      missing.append("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if (!hasDate) {
      missing.append(
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    if (missing.length() > 0) {
      throw new KmsError(SigV4Verifier.INCOMPLETE, missing.toString().trim());
    }
    List<String> names =
        Arrays.stream(signedHeaders.split(";", -1)).map(n -> n.toLowerCase(Locale.ROOT)).toList();
    return new AuthorizationHeader(credential, signedHeaders, names, signature);
  }

  private static String checkUnique(String previous, String name, String value) {
    if (previous != null) {
      throw new KmsError(
          SigV4Verifier.INCOMPLETE,
          "Authorization header has a duplicate '" + name + "' parameter.");
    }
    return value;
  }

  private static int indexOfWhitespace(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isWhitespace(text.charAt(i))) {
        return i;
      }
    }
    return -1;
  }
}

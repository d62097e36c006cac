package dev.nitroemu.kms.internal;

import dev.nitroemu.kms.KmsCredentials;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies AWS Signature Version 4 ({@code Authorization: AWS4-HMAC-SHA256 ...}) on requests to one
 * service in one or more regions, with the error types and texts real AWS endpoints return. The
 * credential scope's region selects the region (one mock process serves several KMS endpoints); a
 * {@code Host} of {@code kms.<region>.amazonaws.com} for a served region must match it, as the real
 * regional endpoint requires.
 *
 * <p>Checks, in order, each failing with its own error (all HTTP 400):
 *
 * <ol>
 *   <li>no {@code Authorization} header: {@code MissingAuthenticationTokenException};
 *   <li>a header that does not parse, lacks {@code Credential}, {@code SignedHeaders}, {@code
 *       Signature} or a date, a credential without five elements, or a date not in ISO 8601 basic
 *       format: {@code IncompleteSignatureException};
 *   <li>{@code host}, or an {@code x-amz-*} header the request carries, missing from {@code
 *       SignedHeaders}: {@code InvalidSignatureException} "'Host' or ':authority' must be a
 *       'SignedHeader' in the AWS Authorization." / "'X-Amz-Target' must be a 'SignedHeader' in the
 *       AWS Authorization." (see below);
 *   <li>an unknown access key id, or a session token that differs from the configured one: {@code
 *       UnrecognizedClientException} "The security token included in the request is invalid.";
 *   <li>a scope naming another terminator, service or region or another date than the request's, a
 *       request time more than {@link #MAX_SKEW} from the clock ("Signature expired: ..." /
 *       "Signature not yet current: ..."), an {@code x-amz-content-sha256} that is not the body's
 *       hash, or a wrong signature: {@code InvalidSignatureException}.
 * </ol>
 *
 * The signature is compared in constant time. Thread-safe.
 *
 * <p><b>Signed {@code x-amz-*} headers.</b> SigV4 requires every {@code x-amz-*} header a request
 * carries to be signed ("Any x-amz-* headers that you plan to include in your request must also be
 * added", AWS Signature Version 4 documentation, canonical headers). Without that rule a captured
 * request could be replayed with another, unsigned {@code X-Amz-Target}: a signed {@code
 * DescribeKey} would run as {@code ScheduleKeyDeletion} on the same key. Two headers are exempt
 * because the signature covers them anyway: {@code x-amz-date} (it is the time in the string to
 * sign) and {@code x-amz-content-sha256} (it is the payload hash of the canonical request, and
 * checked against the body; S3 accepts it unsigned too). {@code x-amzn-*} headers (for example
 * {@code X-Amzn-Trace-Id}, which the SDKs deliberately leave unsigned) are not {@code x-amz-*}
 * headers.
 *
 * <p><b>Which texts are recorded and which inferred.</b> The Host message and its error type are
 * real (a Coral JSON service answered {@code com.amazon.coral.service#InvalidSignatureException}
 * with it, aws/aws-sdk-php issue 2469). No public source records what KMS answers for another
 * unsigned header; the mock applies the same documented pattern, {@code '<header as sent>' must be
 * a 'SignedHeader' in the AWS Authorization.}, with the same type. That message is inferred.
 */
public final class SigV4Verifier {
  /** How far a request's time may be from the server clock, as KMS allows. */
  public static final Duration MAX_SKEW = Duration.ofMinutes(5);

  static final String ALGORITHM = "AWS4-HMAC-SHA256";
  static final String MISSING_TOKEN = "MissingAuthenticationTokenException";
  static final String INCOMPLETE = "IncompleteSignatureException";
  static final String UNRECOGNIZED = "UnrecognizedClientException";
  static final String INVALID = "InvalidSignatureException";
  static final String BAD_TOKEN_MESSAGE = "The security token included in the request is invalid.";
  static final String MISMATCH_MESSAGE =
      "The request signature we calculated does not match the signature you provided. Check your AWS"
          + " Secret Access Key and signing method. Consult the service documentation for details.";

  private static final int MAX_ECHO = 128;
  private static final String AMZ_PREFIX = "x-amz-";

  /**
   * {@code x-amz-*} headers that may stay unsigned because the signature covers their values
   * anyway.
   */
  private static final Set<String> UNSIGNED_ALLOWED = Set.of("x-amz-date", "x-amz-content-sha256");

  private static final Pattern REGIONAL_HOST =
      Pattern.compile("kms(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?\\.?(?::\\d+)?");
  private static final int SIGNING_KEY_CACHE_LIMIT = 256;

  private final Set<String> regions;
  private final String service;
  private final Map<String, KmsCredentials> credentials;
  private final Clock clock;
  private final Map<String, byte[]> signingKeys = new ConcurrentHashMap<>();

  /**
   * A verifier for {@code service} (e.g. {@code kms}) in {@code region} accepting {@code
   * credentials}.
   *
   * @throws IllegalArgumentException if two credentials share an access key id
   */
  public SigV4Verifier(
      String region, String service, Collection<KmsCredentials> credentials, Clock clock) {
    this(List.of(Objects.requireNonNull(region, "region")), service, credentials, clock);
  }

  /**
   * A verifier for {@code service} in any of {@code regions}.
   *
   * @throws IllegalArgumentException if two credentials share an access key id
   */
  public SigV4Verifier(
      List<String> regions, String service, Collection<KmsCredentials> credentials, Clock clock) {
    this.regions = Set.copyOf(regions);
    this.service = Objects.requireNonNull(service, "service");
    this.clock = Objects.requireNonNull(clock, "clock");
    Map<String, KmsCredentials> byId = new HashMap<>();
    for (KmsCredentials c : credentials) {
      if (byId.put(c.accessKeyId(), c) != null) {
        throw new IllegalArgumentException("duplicate access key id " + c.accessKeyId());
      }
    }
    this.credentials = Map.copyOf(byId);
  }

  /**
   * Verifies one request.
   *
   * @param method the HTTP method, e.g. {@code POST}
   * @param requestTarget the request target as sent: path and optional query, percent-encoded
   * @param headers the request headers; names in any case, repeated headers as several values
   * @param body the request body
   * @return the verified caller
   * @throws KmsError with the AWS error type and message if the request is not correctly signed
   */
  public CallerIdentity verify(
      String method, String requestTarget, Map<String, List<String>> headers, byte[] body) {
    Map<String, List<String>> lookup = caseInsensitive(headers);
    String authorization = single(lookup, "authorization");
    if (authorization == null) {
      throw new KmsError(MISSING_TOKEN, "Request is missing Authentication Token");
    }
    AuthorizationHeader auth = AuthorizationHeader.parse(authorization, hasDate(lookup));
    String[] scope = auth.credential().split("/", -1);
    if (scope.length != 5) {
      throw new KmsError(
          INCOMPLETE,
          "Credential must have exactly 5 slash-delimited elements, e.g."
              + " keyid/date/region/service/term, got '"
              + echo(auth.credential())
              + "'");
    }
    if (!auth.signedHeaders().contains("host")) {
      throw new KmsError(
          INVALID, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    String unsigned = firstUnsignedAmzHeader(lookup.keySet(), auth.signedHeaders());
    if (unsigned != null) {
      throw new KmsError(
          INVALID, "'" + echo(unsigned) + "' must be a 'SignedHeader' in the AWS Authorization.");
    }
    String amzDate = single(lookup, "x-amz-date");
    Instant basic = amzDate != null ? SigV4Dates.basicFormat(amzDate) : null;
    Instant requestTime =
        basic != null
            ? basic
            : amzDate != null
                ? SigV4Dates.parseAmzDate(amzDate)
                : SigV4Dates.parseHttpDate(single(lookup, "date"));
    String requestDate = basic != null ? amzDate : SigV4Dates.AMZ_DATE.format(requestTime);

    KmsCredentials known = credentials.get(scope[0]);
    if (known == null) {
      throw new KmsError(UNRECOGNIZED, BAD_TOKEN_MESSAGE);
    }
    if (known.sessionToken() != null) {
      String token = single(lookup, "x-amz-security-token");
      if (token == null || !constantTimeEquals(token, known.sessionToken())) {
        throw new KmsError(UNRECOGNIZED, BAD_TOKEN_MESSAGE);
      }
    }
    if (!scope[4].equals("aws4_request")) {
      throw new KmsError(
          INVALID,
          "Credential should be scoped with a valid terminator: 'aws4_request', not '"
              + echo(scope[4])
              + "'. ");
    }
    if (!scope[3].equals(service)) {
      throw new KmsError(
          INVALID, "Credential should be scoped to correct service: '" + service + "'. ");
    }
    String hostRegion = regionOfHost(single(lookup, "host"));
    if (!regions.contains(scope[2]) || (hostRegion != null && !hostRegion.equals(scope[2]))) {
      throw new KmsError(
          INVALID, "Credential should be scoped to a valid region, not '" + echo(scope[2]) + "'. ");
    }
    if (!scope[1].equals(requestDate.substring(0, 8))) {
      throw new KmsError(
          INVALID,
          "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
              + " from HTTP: '"
              + echo(scope[1])
              + "' != '"
              + requestDate.substring(0, 8)
              + "', from '"
              + requestDate
              + "'.");
    }
    checkSkew(requestTime);

    String bodyHash = hex(sha256(body));
    String declaredHash = single(lookup, "x-amz-content-sha256");
    if (declaredHash != null && !declaredHash.equals(bodyHash)) {
      throw new KmsError(
          INVALID, "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    String canonicalRequest =
        canonicalRequest(
            method,
            requestTarget,
            lookup,
            auth.signedHeadersText(),
            auth.signedHeaders(),
            declaredHash != null ? declaredHash : bodyHash);
    String stringToSign =
        ALGORITHM
            + "\n"
            + requestDate
            + "\n"
            + scope[1]
            + "/"
            + scope[2]
            + "/"
            + scope[3]
            + "/aws4_request\n"
            + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
    byte[] expected =
        hmac(signingKey(known, scope[1], scope[2]), stringToSign.getBytes(StandardCharsets.UTF_8));
    if (!constantTimeEquals(auth.signature().toLowerCase(Locale.ROOT), hex(expected))) {
      throw new KmsError(INVALID, MISMATCH_MESSAGE);
    }
    return new CallerIdentity(
        known.accessKeyId(), known.principalArn(), known.accountId(), scope[2]);
  }

  /**
   * The served region a {@code Host} of {@code kms[-fips].<region>.amazonaws.com[.cn][:port]}
   * names, else null.
   */
  private String regionOfHost(String host) {
    if (host == null) {
      return null;
    }
    Matcher matcher = REGIONAL_HOST.matcher(host.toLowerCase(Locale.ROOT));
    return matcher.matches() && regions.contains(matcher.group(1)) ? matcher.group(1) : null;
  }

  /**
   * The first (in case-insensitive order) {@code x-amz-*} header name that the request carries but
   * does not sign, apart from the exempt ones; null when every one is signed.
   */
  static String firstUnsignedAmzHeader(Collection<String> headerNames, List<String> signedHeaders) {
    String first = null;
    for (String name : headerNames) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.startsWith(AMZ_PREFIX)
          && !UNSIGNED_ALLOWED.contains(lower)
          && !signedHeaders.contains(lower)
          && (first == null || String.CASE_INSENSITIVE_ORDER.compare(name, first) < 0)) {
        first = name;
      }
    }
    return first;
  }

  private void checkSkew(Instant requestTime) {
    Instant now = clock.instant();
    Instant earliest = now.minus(MAX_SKEW);
    Instant latest = now.plus(MAX_SKEW);
    if (requestTime.isBefore(earliest)) {
      throw new KmsError(
          INVALID,
          "Signature expired: "
              + SigV4Dates.AMZ_DATE.format(requestTime)
              + " is now earlier than "
              + SigV4Dates.AMZ_DATE.format(earliest)
              + " ("
              + SigV4Dates.AMZ_DATE.format(now)
              + " - 5 min.)");
    }
    if (requestTime.isAfter(latest)) {
      throw new KmsError(
          INVALID,
          "Signature not yet current: "
              + SigV4Dates.AMZ_DATE.format(requestTime)
              + " is still later than "
              + SigV4Dates.AMZ_DATE.format(latest)
              + " ("
              + SigV4Dates.AMZ_DATE.format(now)
              + " + 5 min.)");
    }
  }

  /** The SigV4 canonical request; package-private for tests. */
  static String canonicalRequest(
      String method,
      String requestTarget,
      Map<String, List<String>> headers,
      String signedHeadersText,
      List<String> signedHeaders,
      String payloadHash) {
    int queryStart = requestTarget.indexOf('?');
    String path = queryStart < 0 ? requestTarget : requestTarget.substring(0, queryStart);
    String query = queryStart < 0 ? "" : requestTarget.substring(queryStart + 1);
    StringBuilder out = new StringBuilder(256);
    out.append(method)
        .append('\n')
        .append(SigV4Encoding.canonicalPath(path))
        .append('\n')
        .append(SigV4Encoding.canonicalQuery(query))
        .append('\n');
    for (String name : signedHeaders) {
      out.append(name).append(':');
      List<String> values = headers.get(name);
      if (values != null) {
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          out.append(SigV4Encoding.trimAll(values.get(i)));
        }
      }
      out.append('\n');
    }
    out.append('\n').append(signedHeadersText).append('\n').append(payloadHash);
    return out.toString();
  }

  private byte[] signingKey(KmsCredentials known, String date, String region) {
    String cacheKey = known.accessKeyId() + '/' + date + '/' + region;
    byte[] key = signingKeys.get(cacheKey);
    if (key == null) {
      key = hmac(("AWS4" + known.secretAccessKey()).getBytes(StandardCharsets.UTF_8), utf8(date));
      key = hmac(key, utf8(region));
      key = hmac(key, utf8(service));
      key = hmac(key, utf8("aws4_request"));
      if (signingKeys.size() >= SIGNING_KEY_CACHE_LIMIT) {
        signingKeys.clear();
      }
      signingKeys.put(cacheKey, key);
    }
    return key;
  }

  /**
   * {@code headers} with names in any case merged: itself when it already is such a map (the
   * server's request headers are), else a copy.
   */
  private static Map<String, List<String>> caseInsensitive(Map<String, List<String>> headers) {
    if (headers instanceof TreeMap<String, List<String>> sorted
        && sorted.comparator() == String.CASE_INSENSITIVE_ORDER) {
      return headers;
    }
    Map<String, List<String>> lookup = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach(
        (name, values) ->
            lookup.computeIfAbsent(name, n -> new java.util.ArrayList<>()).addAll(values));
    return lookup;
  }

  private static boolean hasDate(Map<String, List<String>> headers) {
    return headers.containsKey("x-amz-date") || headers.containsKey("date");
  }

  private static String single(Map<String, List<String>> headers, String name) {
    List<String> values = headers.get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    return values.size() == 1 ? values.get(0).trim() : String.join(",", values).trim();
  }

  static String echo(String clientText) {
    StringBuilder out = new StringBuilder(Math.min(clientText.length(), MAX_ECHO));
    for (int i = 0; i < clientText.length() && out.length() < MAX_ECHO; i++) {
      char c = clientText.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return clientText.length() > MAX_ECHO ? out + "..." : out.toString();
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] sha256(byte[] data) {
    try {
      return ThreadEngines.sha256().digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = ThreadEngines.hmacSha256();
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      ThreadEngines.discard();
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  static String hex(byte[] bytes) {
    char[] digits = "0123456789abcdef".toCharArray();
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = digits[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    return new String(out);
  }
}

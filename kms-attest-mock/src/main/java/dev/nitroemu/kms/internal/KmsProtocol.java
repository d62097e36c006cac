package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.kms.AuditLog;
import dev.nitroemu.kms.RequestLogEntry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The KMS awsJson1_1 protocol over one HTTP exchange, independent of the transport: check the
 * {@code Host} ({@link AllowedHosts}), authenticate (SigV4), route {@code X-Amz-Target:
 * TrentService.<Operation>}, parse the body, run the operation, audit the call and shape the reply.
 *
 * <p>Every exchange yields exactly one audit event: {@code rejected} when the request failed before
 * the caller was authenticated (a refused Host, a bad signature, an unreadable or oversized
 * request), otherwise {@code succeeded} or {@code failed}. Errors map as follows: a {@link
 * KmsError} keeps its type and status; any other exception becomes {@code KMSInternalException}
 * (500) with a generic text, its details logged at DEBUG only. Thread-safe.
 */
public final class KmsProtocol {
  /** The only accepted target prefix. */
  public static final String TARGET_PREFIX = "TrentService.";

  /** Text of the 500 reply for unexpected faults, the AWS common {@code InternalFailure} text. */
  public static final String INTERNAL_MESSAGE =
      "The request processing has failed because of an unknown error, exception or failure.";

  /**
   * The path of the emulator's health endpoint: {@code GET} answers a JSON report of the running
   * services without authentication and without an audit event; every other request is KMS's.
   */
  public static final String HEALTH_PATH = "/_nitro-emu/health";

  /**
   * The request log that listens to nothing: with it no {@link RequestLogEntry} is built at all
   * (building one parses the event's parameters again, 6 % of the mock's CPU in a Decrypt profile).
   */
  public static final Consumer<RequestLogEntry> NO_REQUEST_LOG = entry -> {};

  static final String UNKNOWN_OPERATION = "UnknownOperationException";
  private static final Pattern OPERATION_NAME = Pattern.compile("[A-Z][A-Za-z0-9]{0,63}");
  private static final System.Logger LOG = System.getLogger(KmsProtocol.class.getName());

  /** Runs one authenticated operation; {@code KmsOperations::handle} in the server. */
  @FunctionalInterface
  public interface OperationHandler {
    /** The result of {@code call}; throws {@link KmsError} for typed failures. */
    KmsResult handle(KmsCall call);
  }

  /**
   * One HTTP request as received.
   *
   * @param method the method, e.g. {@code POST}
   * @param requestTarget the request target (path and query) as sent
   * @param headers the headers; names in any case
   * @param body the complete body
   * @param sourceAddress the client's IP address as text
   */
  public record Request(
      String method,
      String requestTarget,
      Map<String, List<String>> headers,
      byte[] body,
      String sourceAddress) {}

  /**
   * One HTTP reply: the status, the {@code x-amzn-RequestId} value and the JSON body (maybe empty).
   *
   * @param status the HTTP status
   * @param requestId the request id
   * @param body the body, {@link KmsJson#CONTENT_TYPE}
   */
  public record Reply(int status, String requestId, byte[] body) {}

  private final AllowedHosts hosts;
  private final SigV4Verifier verifier;
  private final OperationHandler operations;
  private final AuditLog auditLog;
  private final String region;
  private final Clock clock;
  private final Supplier<byte[]> healthReport;
  private final Consumer<RequestLogEntry> requestLog;

  /**
   * What the emulator adds around KMS: the health report's JSON and a listener told about every
   * call.
   *
   * @param healthReport the body of {@link #HEALTH_PATH}
   * @param requestLog told once per call, after its audit event, on the thread that handled it
   */
  public record Hooks(Supplier<byte[]> healthReport, Consumer<RequestLogEntry> requestLog) {
    /** Checks that both are present. */
    public Hooks {
      Objects.requireNonNull(healthReport, "healthReport");
      Objects.requireNonNull(requestLog, "requestLog");
    }
  }

  /**
   * A protocol endpoint that answers only to the default {@link AllowedHosts} of {@code region},
   * authenticates with {@code verifier}, runs {@code operations} and audits.
   */
  public KmsProtocol(
      SigV4Verifier verifier,
      OperationHandler operations,
      AuditLog auditLog,
      String region,
      Clock clock) {
    this(new AllowedHosts(region, List.of()), verifier, operations, auditLog, region, clock);
  }

  /**
   * A protocol endpoint that answers to {@code hosts}, authenticates with {@code verifier}, runs
   * and audits.
   */
  public KmsProtocol(
      AllowedHosts hosts,
      SigV4Verifier verifier,
      OperationHandler operations,
      AuditLog auditLog,
      String region,
      Clock clock) {
    this(
        hosts,
        verifier,
        operations,
        auditLog,
        region,
        clock,
        new Hooks(() -> HealthReport.render(null, region, Map.of()), NO_REQUEST_LOG));
  }

  /** As the six-argument constructor, with the emulator's {@code hooks}. */
  public KmsProtocol(
      AllowedHosts hosts,
      SigV4Verifier verifier,
      OperationHandler operations,
      AuditLog auditLog,
      String region,
      Clock clock,
      Hooks hooks) {
    this.hosts = Objects.requireNonNull(hosts, "hosts");
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.operations = Objects.requireNonNull(operations, "operations");
    this.auditLog = Objects.requireNonNull(auditLog, "auditLog");
    this.region = Objects.requireNonNull(region, "region");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.healthReport = hooks.healthReport();
    this.requestLog = hooks.requestLog();
  }

  /** Whether a request is the health check ({@code GET} of {@link #HEALTH_PATH}, any query). */
  public static boolean isHealthCheck(String method, String requestTarget) {
    int query = requestTarget.indexOf('?');
    String path = query < 0 ? requestTarget : requestTarget.substring(0, query);
    return method.equals("GET") && path.equals(HEALTH_PATH);
  }

  /**
   * The health report, {@code application/json}; neither authenticated nor audited, but, as every
   * request, only for a {@code Host} this endpoint answers to (else the same 421 as KMS calls get).
   */
  public Reply health(Map<String, List<String>> headers) {
    try {
      hosts.check(headers);
    } catch (KmsError e) {
      return errorReply(UUID.randomUUID().toString(), e);
    }
    byte[] body;
    try {
      body = healthReport.get();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "health report failed: " + e.getClass().getName(), e);
      body = HealthReport.render(null, region, Map.of());
    }
    return new Reply(200, UUID.randomUUID().toString(), body);
  }

  /** Handles one complete request; never throws for anything the request contains. */
  public Reply handle(Request request) {
    long started = System.nanoTime();
    String requestId = UUID.randomUUID().toString();
    Instant time = clock.instant();
    String userAgent = header(request.headers(), "user-agent");
    String operation = operationName(header(request.headers(), "x-amz-target"));
    CallerIdentity caller;
    try {
      hosts.check(request.headers());
      caller =
          verifier.verify(
              request.method(), request.requestTarget(), request.headers(), request.body());
    } catch (KmsError e) {
      record(
          AuditEvents.rejected(
              operation, requestId, time, userAgent, request.sourceAddress(), e, region),
          time,
          started);
      return errorReply(requestId, e);
    } catch (RuntimeException e) {
      KmsError internal = internal(e);
      record(
          AuditEvents.rejected(
              operation, requestId, time, userAgent, request.sourceAddress(), internal, region),
          time,
          started);
      return errorReply(requestId, internal);
    }
    KmsCall call =
        new KmsCall(
            operation == null ? "Unknown" : operation,
            KmsJson.mapper().createObjectNode(),
            caller,
            requestId,
            time,
            userAgent,
            request.sourceAddress());
    try {
      checkRoute(request, operation);
      ObjectNode body = KmsJson.parseRequest(request.body());
      call =
          new KmsCall(operation, body, caller, requestId, time, userAgent, request.sourceAddress());
      KmsResult result = operations.handle(call);
      record(AuditEvents.succeeded(call, result, regionOf(caller)), time, started);
      return new Reply(200, requestId, KmsJson.responseBody(result.response()));
    } catch (KmsError e) {
      record(AuditEvents.failed(call, e, regionOf(caller)), time, started);
      return errorReply(requestId, e);
    } catch (RuntimeException e) {
      KmsError internal = internal(e);
      record(AuditEvents.failed(call, internal, regionOf(caller)), time, started);
      return errorReply(requestId, internal);
    }
  }

  /**
   * Answers a request that is refused before it is read completely or authenticated (an oversized
   * body, a malformed HTTP message, an overloaded server), and audits it as rejected.
   */
  public Reply reject(Map<String, List<String>> headers, String sourceAddress, KmsError error) {
    long started = System.nanoTime();
    String requestId = UUID.randomUUID().toString();
    String operation = operationName(header(headers, "x-amz-target"));
    Instant time = clock.instant();
    record(
        AuditEvents.rejected(
            operation,
            requestId,
            time,
            header(headers, "user-agent"),
            sourceAddress,
            error,
            region),
        time,
        started);
    return errorReply(requestId, error);
  }

  /**
   * The reply for an unexpected fault outside {@link #handle}, e.g. in the transport; not audited.
   */
  public static Reply internalErrorReply() {
    return errorReply(UUID.randomUUID().toString(), KmsError.internal(INTERNAL_MESSAGE));
  }

  /** The region an authenticated call was for (its SigV4 scope), the home region when unknown. */
  private String regionOf(CallerIdentity caller) {
    return caller.region() != null ? caller.region() : region;
  }

  private static void checkRoute(Request request, String operation) {
    String target = header(request.headers(), "x-amz-target");
    if (!request.method().equals("POST")) {
      throw new KmsError(
          UNKNOWN_OPERATION,
          "KMS accepts only POST requests, not " + SigV4Verifier.echo(request.method()) + ".");
    }
    String path = request.requestTarget();
    int query = path.indexOf('?');
    if (!(query < 0 ? path : path.substring(0, query)).equals("/")) {
      throw new KmsError(UNKNOWN_OPERATION, "KMS serves only the path /.");
    }
    if (target == null) {
      throw new KmsError(
          UNKNOWN_OPERATION, "Missing X-Amz-Target header; expected TrentService.<Operation>.");
    }
    if (operation == null) {
      throw new KmsError(
          UNKNOWN_OPERATION,
          "Unknown operation target '"
              + SigV4Verifier.echo(target)
              + "'; expected TrentService.<Operation>.");
    }
  }

  /**
   * The operation named by {@code TrentService.<Operation>}, or null if the target has another
   * form.
   */
  static String operationName(String target) {
    if (target == null || !target.startsWith(TARGET_PREFIX)) {
      return null;
    }
    String name = target.substring(TARGET_PREFIX.length());
    return OPERATION_NAME.matcher(name).matches() ? name : null;
  }

  private static KmsError internal(RuntimeException e) {
    // Details stay in the server log at DEBUG; the client and the audit log see the generic text.
    LOG.log(
        System.Logger.Level.DEBUG,
        "internal fault while handling a KMS request: " + e.getClass().getName(),
        e);
    return KmsError.internal(INTERNAL_MESSAGE);
  }

  private void record(AuditEvent event, Instant time, long startedNanos) {
    try {
      auditLog.record(event);
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING, "cannot write a KMS audit event: " + e.getClass().getName());
    }
    if (requestLog == NO_REQUEST_LOG) {
      return;
    }
    try {
      requestLog.accept(
          RequestLogEntry.of(event, time, Duration.ofNanos(System.nanoTime() - startedNanos)));
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "the KMS request log failed: " + e.getClass().getName());
    }
  }

  private static Reply errorReply(String requestId, KmsError error) {
    return new Reply(error.status(), requestId, KmsJson.errorBody(error));
  }

  static String header(Map<String, List<String>> headers, String name) {
    for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
      if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
        return entry.getValue().get(0);
      }
    }
    return null;
  }
}

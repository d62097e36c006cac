package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One authenticated KMS request, ready for an operation handler.
 *
 * @param operation the operation name from {@code X-Amz-Target: TrentService.<operation>}
 * @param request the JSON request body ({@code {}} when the body was empty)
 * @param caller the verified caller
 * @param requestId the id sent back in {@code x-amzn-RequestId}
 * @param time when the server received the request
 * @param userAgent the {@code User-Agent} header, or null
 * @param sourceAddress the client's IP address as text
 */
public record KmsCall(
    String operation,
    ObjectNode request,
    CallerIdentity caller,
    String requestId,
    Instant time,
    String userAgent,
    String sourceAddress) {}

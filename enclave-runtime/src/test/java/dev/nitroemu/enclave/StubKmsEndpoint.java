package dev.nitroemu.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A loopback HTTP endpoint that records awsJson requests and answers each with a body the test
 * computes, to see exactly what {@link EnclaveKmsClient} sends and how it treats odd answers (e.g.
 * an endpoint that ignores Recipient and returns Plaintext). It checks no signatures.
 */
public final class StubKmsEndpoint implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 1 << 20;

  /**
   * One recorded request: the operation from X-Amz-Target, the JSON body and the Authorization
   * header.
   */
  public record Request(String operation, JsonNode body, String authorization) {}

  private final HttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile Function<Request, String> responder = request -> "{}";

  public StubKmsEndpoint() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Sets how requests are answered: the function returns the JSON response body (status 200). */
  public void respond(Function<Request, String> responder) {
    this.responder = responder;
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_BODY);
      }
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      String operation = target == null ? "" : target.substring(target.indexOf('.') + 1);
      Request request =
          new Request(
              operation,
              JSON.readTree(body.length == 0 ? "{}".getBytes() : body),
              exchange.getRequestHeaders().getFirst("Authorization"));
      requests.add(request);
      String answer;
      int status = 200;
      try {
        answer = responder.apply(request);
      } catch (RuntimeException e) {
        status = 500;
        answer = "{\"__type\":\"KMSInternalException\",\"message\":\"stub responder failed\"}";
      }
      byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
      exchange.getResponseHeaders().add("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

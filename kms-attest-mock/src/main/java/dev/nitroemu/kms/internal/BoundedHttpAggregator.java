package dev.nitroemu.kms.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An {@link HttpObjectAggregator} that, instead of Netty's bare {@code 413}/{@code 417}, passes an
 * {@link Oversized} marker down the pipeline for a request whose body exceeds the limit, so that
 * the KMS handler answers it in order with a typed error.
 */
final class BoundedHttpAggregator extends HttpObjectAggregator {

  /**
   * A request refused because its body is too large; the body itself was (or will be) discarded.
   *
   * @param headers the request headers
   * @param closeConnection whether the connection must close after the reply (the rest of the body
   *     cannot be skipped reliably)
   */
  record Oversized(Map<String, List<String>> headers, boolean closeConnection) {}

  BoundedHttpAggregator(int maxContentLength) {
    super(maxContentLength);
  }

  @Override
  protected Object newContinueResponse(
      HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    if (isContentLengthInvalid(start, maxContentLength)) {
      // No 417: the request is refused with a typed reply by handleOversizedMessage instead.
      return null;
    }
    return super.newContinueResponse(start, maxContentLength, pipeline);
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    boolean close =
        oversized instanceof FullHttpMessage
            || HttpUtil.is100ContinueExpected(oversized)
            || !HttpUtil.isKeepAlive(oversized);
    ctx.fireChannelRead(new Oversized(copy(oversized.headers()), close));
  }

  static Map<String, List<String>> copy(HttpHeaders headers) {
    Map<String, List<String>> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, String> header : headers) {
      out.computeIfAbsent(header.getKey(), k -> new ArrayList<>(1)).add(header.getValue());
    }
    return out;
  }
}

package dev.nitroemu.kms.internal;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The Netty side of one KMS connection: takes complete requests (or {@link
 * BoundedHttpAggregator.Oversized} markers) in arrival order, runs each through {@link KmsProtocol}
 * on the worker executor (crypto is CPU-bound, so never on the event loop), and writes the replies
 * in the same order.
 *
 * <p>Requests on one connection are handled one at a time; pipelined requests wait in a queue of at
 * most {@value #MAX_QUEUED} (reading pauses while it is full). Every reply carries {@code
 * x-amzn-RequestId}, {@code Content-Type: application/x-amz-json-1.1}, {@code Date} and {@code
 * Content-Length}; the connection stays open when the client asked for keep-alive and the request
 * was read completely. A connection left idle (see {@link KmsNettyServer}) with no request queued
 * or being handled is closed.
 */
final class KmsHttpHandler extends ChannelInboundHandlerAdapter {
  static final int MAX_QUEUED = 8;
  static final String REQUEST_ID = "x-amzn-RequestId";
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);
  private static final System.Logger LOG = System.getLogger(KmsHttpHandler.class.getName());

  private final KmsProtocol protocol;
  private final Executor workers;
  private final Clock clock;
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  private boolean busy;
  private boolean closing;

  KmsHttpHandler(KmsProtocol protocol, Executor workers, Clock clock) {
    this.protocol = protocol;
    this.workers = workers;
    this.clock = clock;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing
        || !(msg instanceof FullHttpRequest || msg instanceof BoundedHttpAggregator.Oversized)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    queue.addLast(msg);
    if (queue.size() >= MAX_QUEUED) {
      ctx.channel().config().setAutoRead(false);
    }
    dispatchNext(ctx);
  }

  private void dispatchNext(ChannelHandlerContext ctx) {
    if (busy || closing || queue.isEmpty()) {
      return;
    }
    Object next = queue.pollFirst();
    busy = true;
    if (!ctx.channel().config().isAutoRead() && queue.size() < MAX_QUEUED) {
      ctx.channel().config().setAutoRead(true);
    }
    String source = sourceAddress(ctx.channel().remoteAddress());
    if (next instanceof BoundedHttpAggregator.Oversized) {
      BoundedHttpAggregator.Oversized oversized = (BoundedHttpAggregator.Oversized) next;
      KmsError error =
          KmsError.validation(
              "Request body exceeds the limit of " + KmsNettyServer.MAX_BODY_BYTES + " bytes.");
      write(ctx, protocol.reject(oversized.headers(), source, error), !oversized.closeConnection());
      return;
    }
    FullHttpRequest request = (FullHttpRequest) next;
    try {
      if (request.decoderResult().isFailure()) {
        KmsError error = KmsError.validation("The HTTP request could not be parsed.");
        write(
            ctx,
            protocol.reject(BoundedHttpAggregator.copy(request.headers()), source, error),
            false);
        return;
      }
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (KmsProtocol.isHealthCheck(request.method().name(), request.uri())) {
        // Cheap and unauthenticated: answered on the event loop, never reaches KMS or its audit
        // log.
        KmsProtocol.Reply health = protocol.health(BoundedHttpAggregator.copy(request.headers()));
        write(
            ctx,
            health,
            health.status() == 200 ? HealthReport.CONTENT_TYPE : KmsJson.CONTENT_TYPE,
            keepAlive);
        return;
      }
      KmsProtocol.Request exchange =
          new KmsProtocol.Request(
              request.method().name(),
              request.uri(),
              BoundedHttpAggregator.copy(request.headers()),
              ByteBufUtil.getBytes(request.content()),
              source);
      try {
        workers.execute(
            () -> {
              KmsProtocol.Reply reply;
              try {
                reply = protocol.handle(exchange);
              } catch (Throwable t) {
                LOG.log(
                    System.Logger.Level.DEBUG,
                    "unexpected fault in the KMS protocol: " + t.getClass().getName(),
                    t);
                reply = KmsProtocol.internalErrorReply();
              }
              KmsProtocol.Reply done = reply;
              try {
                ctx.executor().execute(() -> write(ctx, done, keepAlive));
              } catch (RejectedExecutionException shuttingDown) {
                // The server is closing; the connection goes with it.
              }
            });
      } catch (RejectedExecutionException e) {
        KmsError throttled = new KmsError("ThrottlingException", "Rate exceeded");
        write(ctx, protocol.reject(exchange.headers(), source, throttled), keepAlive);
      }
    } finally {
      request.release();
    }
  }

  private void write(ChannelHandlerContext ctx, KmsProtocol.Reply reply, boolean keepAlive) {
    write(ctx, reply, KmsJson.CONTENT_TYPE, keepAlive);
  }

  private void write(
      ChannelHandlerContext ctx, KmsProtocol.Reply reply, String contentType, boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(reply.status()),
            Unpooled.wrappedBuffer(reply.body()));
    response
        .headers()
        .set(REQUEST_ID, reply.requestId())
        .set(HttpHeaderNames.CONTENT_TYPE, contentType)
        .set(HttpHeaderNames.DATE, HTTP_DATE.format(clock.instant()))
        .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    HttpUtil.setKeepAlive(response, keepAlive);
    ChannelFuture written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      closing = true;
      written.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    written.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    busy = false;
    dispatchNext(ctx);
  }

  /**
   * Closes a connection idle for the idle timeout, unless a request of it is queued or being
   * handled.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof IdleStateEvent) {
      if (!busy && queue.isEmpty()) {
        closing = true;
        ctx.close();
      }
      return;
    }
    super.userEventTriggered(ctx, event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    closing = true;
    queue.forEach(ReferenceCountUtil::release);
    queue.clear();
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // I/O errors (a client resetting the connection, a TLS failure) end only this connection.
    LOG.log(
        System.Logger.Level.DEBUG, "closing a KMS connection after " + cause.getClass().getName());
    ctx.close();
  }

  private static String sourceAddress(SocketAddress address) {
    if (address instanceof InetSocketAddress) {
      InetSocketAddress inet = (InetSocketAddress) address;
      return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
    }
    return String.valueOf(address);
  }
}

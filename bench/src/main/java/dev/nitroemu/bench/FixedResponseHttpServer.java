package dev.nitroemu.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The bare baseline for {@link KmsDecryptBenchmark}: a Netty HTTP/1.1 server on 127.0.0.1 that
 * reads and ignores each request and answers every one, on the event loop, with the same prepared
 * 200 response (a KMS-style JSON body and headers), keeping the connection open when the client
 * asks.
 *
 * <p>Thread layout as in the KMS mock's listener: one acceptor thread and one I/O thread; unlike
 * the mock there is no hand-off to worker threads, no SigV4, JSON or crypto.
 */
final class FixedResponseHttpServer implements Closeable {
  private final EventLoopGroup acceptor;
  private final EventLoopGroup io;
  private final Channel serverChannel;

  private FixedResponseHttpServer(
      EventLoopGroup acceptor, EventLoopGroup io, Channel serverChannel) {
    this.acceptor = acceptor;
    this.io = io;
    this.serverChannel = serverChannel;
  }

  /**
   * Binds a free port on 127.0.0.1 and answers every request with {@code body}.
   *
   * @param contentType the Content-Type of every response
   * @param extraHeaders header name/value pairs added to every response (e.g. a request id)
   */
  static FixedResponseHttpServer start(byte[] body, String contentType, String... extraHeaders)
      throws IOException {
    if (extraHeaders.length % 2 != 0) {
      throw new IllegalArgumentException("extra headers come in name/value pairs");
    }
    EventLoopGroup acceptor =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("bare-accept", true), NioIoHandler.newFactory());
    EventLoopGroup io =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("bare-io", true), NioIoHandler.newFactory());
    ByteBuf content =
        Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(body.clone()).asReadOnly());
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(acceptor, io)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 256)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        .addLast("http", new HttpServerCodec())
                        .addLast("fixed", new FixedResponder(content, contentType, extraHeaders));
                  }
                });
    Channel channel =
        bootstrap
            .bind(new InetSocketAddress(LoopbackPeers.loopback(), 0))
            .awaitUninterruptibly()
            .channel();
    if (!channel.isActive()) {
      shutdown(acceptor, io);
      throw new IOException("cannot bind the bare HTTP server to 127.0.0.1");
    }
    return new FixedResponseHttpServer(acceptor, io, channel);
  }

  /** {@code http://127.0.0.1:PORT}. */
  URI endpoint() {
    return URI.create(
        "http://127.0.0.1:" + ((InetSocketAddress) serverChannel.localAddress()).getPort());
  }

  @Override
  public void close() {
    serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    shutdown(acceptor, io);
  }

  private static void shutdown(EventLoopGroup acceptor, EventLoopGroup io) {
    acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    io.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }

  /**
   * Remembers whether the current request wants keep-alive and answers at its last content part.
   */
  private static final class FixedResponder extends ChannelInboundHandlerAdapter {
    private final ByteBuf content;
    private final String contentType;
    private final String[] extraHeaders;
    private boolean keepAlive = true;

    FixedResponder(ByteBuf content, String contentType, String[] extraHeaders) {
      this.content = content;
      this.contentType = contentType;
      this.extraHeaders = extraHeaders;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpRequest) {
          keepAlive = HttpUtil.isKeepAlive((HttpRequest) msg);
        }
        if (msg instanceof LastHttpContent) {
          FullHttpResponse response =
              new DefaultFullHttpResponse(
                  HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content.duplicate());
          response
              .headers()
              .set(HttpHeaderNames.CONTENT_TYPE, contentType)
              .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
          for (int i = 0; i < extraHeaders.length; i += 2) {
            response.headers().set(extraHeaders[i], extraHeaders[i + 1]);
          }
          HttpUtil.setKeepAlive(response, keepAlive);
          ctx.writeAndFlush(response)
              .addListener(
                  keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}

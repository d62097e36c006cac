package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.ConnectionLimits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Netty HTTP/1.1 listener of the KMS mock: one acceptor thread, one I/O thread, and a small
 * bounded pool of worker threads that run {@link KmsProtocol} (SigV4, JSON, crypto) off the event
 * loop.
 *
 * <p>Bounds: request line 4 KiB, headers 8 KiB, body {@value #MAX_BODY_BYTES} bytes (larger bodies
 * get a typed {@code ValidationException}); at most {@value #MAX_WAITING} requests wait for a
 * worker (more get {@code ThrottlingException}, which AWS SDKs retry). {@link ConnectionLimits}: at
 * most {@code maxConnections} connections are open at once (a further one is closed at once, which
 * AWS SDKs retry), and a connection with no request in progress and no byte either way for the idle
 * timeout is closed, so idle keep-alive connections and half-sent requests do not stay for ever.
 */
public final class KmsNettyServer implements AutoCloseable {
  /** Largest request body accepted: 1 MiB. */
  public static final int MAX_BODY_BYTES = 1024 * 1024;

  static final int MAX_WAITING = 1024;
  private static final int MAX_INITIAL_LINE = 4096;
  private static final int MAX_HEADER_BYTES = 8192;

  private final EventLoopGroup acceptor;
  private final EventLoopGroup io;
  private final ThreadPoolExecutor workers;
  private final Channel serverChannel;

  private KmsNettyServer(
      EventLoopGroup acceptor, EventLoopGroup io, ThreadPoolExecutor workers, Channel channel) {
    this.acceptor = acceptor;
    this.io = io;
    this.workers = workers;
    this.serverChannel = channel;
  }

  /**
   * Binds {@code address} and serves {@code protocol}.
   *
   * @param tls the TLS context for HTTPS, or null for plain HTTP
   * @param workerThreads how many requests are processed in parallel
   * @throws IOException if the address cannot be bound
   */
  public static KmsNettyServer start(
      InetSocketAddress address,
      KmsProtocol protocol,
      SslContext tls,
      int workerThreads,
      Clock clock)
      throws IOException {
    return start(address, protocol, tls, workerThreads, clock, ConnectionLimits.DEFAULT);
  }

  /**
   * Binds {@code address} and serves {@code protocol} within {@code limits}.
   *
   * @param tls the TLS context for HTTPS, or null for plain HTTP
   * @param workerThreads how many requests are processed in parallel
   * @param limits connections open at once, and how long an unused connection stays open
   * @throws IOException if the address cannot be bound
   */
  public static KmsNettyServer start(
      InetSocketAddress address,
      KmsProtocol protocol,
      SslContext tls,
      int workerThreads,
      Clock clock,
      ConnectionLimits limits)
      throws IOException {
    AtomicInteger open = new AtomicInteger();
    long idleMillis = limits.idleTimeout().toMillis();
    EventLoopGroup acceptor =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("kms-accept", true), NioIoHandler.newFactory());
    EventLoopGroup io =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("kms-io", true), NioIoHandler.newFactory());
    ThreadPoolExecutor workers =
        new ThreadPoolExecutor(
            workerThreads,
            workerThreads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(MAX_WAITING),
            new DefaultThreadFactory("kms-worker", true));
    workers.allowCoreThreadTimeOut(true);
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
                    if (open.incrementAndGet() > limits.maxConnections()) {
                      open.decrementAndGet();
                      channel.close(); // Full: refused at once rather than left waiting.
                      return;
                    }
                    channel.closeFuture().addListener(closed -> open.decrementAndGet());
                    ChannelPipeline pipeline = channel.pipeline();
                    pipeline.addLast(
                        "idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
                    if (tls != null) {
                      pipeline.addLast("tls", tls.newHandler(channel.alloc()));
                    }
                    pipeline.addLast(
                        "http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, 8192));
                    pipeline.addLast("aggregate", new BoundedHttpAggregator(MAX_BODY_BYTES));
                    pipeline.addLast("kms", new KmsHttpHandler(protocol, workers, clock));
                  }
                });
    ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
    if (!bound.isSuccess()) {
      shutdown(acceptor, io, workers);
      throw new IOException("cannot bind the KMS mock to " + address, bound.cause());
    }
    return new KmsNettyServer(acceptor, io, workers, bound.channel());
  }

  /** The bound address (with the real port when port 0 was asked for). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** Stops accepting, closes every connection and stops the threads; waits up to a few seconds. */
  @Override
  public void close() {
    serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    shutdown(acceptor, io, workers);
  }

  private static void shutdown(
      EventLoopGroup acceptor, EventLoopGroup io, ThreadPoolExecutor workers) {
    acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    io.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdown();
    try {
      acceptor.terminationFuture().await(3, TimeUnit.SECONDS);
      io.terminationFuture().await(3, TimeUnit.SECONDS);
      if (!workers.awaitTermination(3, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}

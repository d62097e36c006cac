package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.StreamListener;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * A listening Unix domain stream socket bound to a path, as a {@link StreamListener}; {@link
 * #close()} removes the socket file again (if it is still the one bound here).
 *
 * <p>A socket file left behind by a process that died without closing (nothing accepts on it any
 * more) is replaced when binding; a socket some process still listens on, or any other kind of
 * file, makes the bind fail with {@link BindException}.
 */
public final class UnixSocketListener implements StreamListener<UnixSocketConnection, Path> {

  /**
   * Bit mask and value of a socket in the {@code unix:mode} attribute ({@code S_IFMT}, {@code
   * S_IFSOCK}).
   */
  private static final int TYPE_MASK = 0170000;

  private static final int SOCKET_TYPE = 0140000;

  private final ServerSocketChannel server;
  private final Path path;
  private final Object fileKey;

  private UnixSocketListener(ServerSocketChannel server, Path path, Object fileKey) {
    this.server = server;
    this.path = path;
    this.fileKey = fileKey;
  }

  /**
   * Binds a listener at {@code path}.
   *
   * @param backlog connections the kernel queues before they are accepted
   * @throws BindException if another process listens there, or a file that is not a socket is in
   *     the way
   */
  public static UnixSocketListener bind(Path path, int backlog) throws IOException {
    Objects.requireNonNull(path, "path");
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
      try {
        server.bind(address, backlog);
      } catch (BindException inUse) {
        if (!isStaleSocket(path)) {
          throw new BindException(
              "Address already in use: "
                  + path
                  + (isSocket(path)
                      ? " (another process listens there)"
                      : " (a file that is not a socket is there)"));
        }
        Files.deleteIfExists(path);
        server.bind(address, backlog);
      }
      return new UnixSocketListener(server, path, fileKey(path));
    } catch (IOException | RuntimeException e) {
      Closeables.closeAfter(server, e);
      throw e;
    }
  }

  /** Whether {@code path} is a socket file nobody accepts on (connecting is refused). */
  static boolean isStaleSocket(Path path) {
    if (!isSocket(path)) {
      return false;
    }
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
      return false;
    } catch (ConnectException refused) {
      return true;
    } catch (IOException other) {
      return false;
    }
  }

  private static boolean isSocket(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return mode instanceof Integer bits && (bits & TYPE_MASK) == SOCKET_TYPE;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  private static Object fileKey(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /** Blocks until a peer connects; a {@link SocketException} once the listener is closed. */
  @Override
  public UnixSocketConnection accept() throws IOException {
    SocketChannel channel;
    try {
      channel = server.accept();
    } catch (ClosedChannelException e) {
      throw new SocketException("Socket closed");
    }
    try {
      return new UnixSocketConnection(channel);
    } catch (IOException | RuntimeException e) {
      Closeables.closeAfter(channel, e);
      throw e;
    }
  }

  /** The socket file this listener is bound to. */
  @Override
  public Path localAddress() {
    return path;
  }

  @Override
  public boolean isClosed() {
    return !server.isOpen();
  }

  /** Stops listening and removes the socket file if it is still the one bound here; idempotent. */
  @Override
  public void close() throws IOException {
    if (!server.isOpen()) {
      return;
    }
    server.close();
    if (fileKey != null && fileKey.equals(fileKey(path))) {
      Files.deleteIfExists(path);
    }
  }

  @Override
  public String toString() {
    return "UnixSocketListener[" + path + (isClosed() ? ", closed" : "") + "]";
  }
}

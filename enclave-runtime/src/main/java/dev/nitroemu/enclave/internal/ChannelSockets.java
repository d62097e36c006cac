package dev.nitroemu.enclave.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;

/**
 * Sockets made by channels ({@link java.nio.channels.SocketChannel}, {@link
 * java.nio.channels.ServerSocketChannel}) made to fail as plain sockets do: a close from another
 * thread (or an interrupt, which closes them) is reported as {@link SocketException} rather than as
 * {@link ClosedChannelException}, and closing one sends the peer end of stream first, as a plain
 * socket's close does. Plain sockets pass through unchanged.
 */
public final class ChannelSockets {

  private ChannelSockets() {}

  /** The bytes from the peer. */
  public static InputStream input(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    return socket.getChannel() == null ? in : new Input(in);
  }

  /** The bytes to the peer. */
  public static OutputStream output(Socket socket) throws IOException {
    OutputStream out = socket.getOutputStream();
    return socket.getChannel() == null ? out : new Output(out);
  }

  /** Accepts the next connection. */
  public static Socket accept(ServerSocket serverSocket) throws IOException {
    try {
      return serverSocket.accept();
    } catch (ClosedChannelException e) {
      throw closed(e);
    }
  }

  /**
   * Closes {@code socket} as a plain socket closes: a socket made by a channel half-closes first
   * (unless {@code SO_LINGER} is 0, an intended reset), so a peer whose bytes were left unread
   * reads end of stream before the reset that closing with unread input sends.
   */
  public static void close(Socket socket) throws IOException {
    if (socket.getChannel() != null
        && socket.isConnected()
        && !socket.isClosed()
        && !socket.isOutputShutdown()) {
      try {
        if (socket.getSoLinger() != 0) {
          socket.shutdownOutput();
        }
      } catch (IOException ignored) {
        // Already reset or closed by the peer: close below regardless.
      }
    }
    socket.close();
  }

  /** Like a plain socket's: without a cause, so callers looking at the root cause see it. */
  private static SocketException closed(ClosedChannelException e) {
    return new SocketException("Socket closed (" + e.getClass().getSimpleName() + ")");
  }

  /** Input with closed-channel errors translated. */
  private static final class Input extends InputStream {
    private final InputStream in;

    Input(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (ClosedChannelException e) {
        throw closed(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (ClosedChannelException e) {
        throw closed(e);
      }
    }

    @Override
    public int available() throws IOException {
      return in.available();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Output with closed-channel errors translated. */
  private static final class Output extends OutputStream {
    private final OutputStream out;

    Output(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      try {
        out.write(b);
      } catch (ClosedChannelException e) {
        throw closed(e);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (ClosedChannelException e) {
        throw closed(e);
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}

package dev.nitroemu.enclave.internal;

import com.sun.jna.Native;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/** A connected AF_VSOCK stream socket with blocking streams. */
public final class AfVsockConnection implements VsockConnection {

  /** Largest single recv/send; JNA copies the buffer, so this bounds the copy. */
  private static final int CHUNK = 64 * 1024;

  private final AfVsockSocket socket;
  private final VsockAddress local;
  private final VsockAddress remote;
  private final InputStream input = new Input();
  private final OutputStream output = new Output();

  public AfVsockConnection(AfVsockSocket socket, VsockAddress local, VsockAddress remote) {
    this.socket = Objects.requireNonNull(socket, "socket");
    this.local = Objects.requireNonNull(local, "local");
    this.remote = Objects.requireNonNull(remote, "remote");
  }

  @Override
  public InputStream inputStream() {
    return input;
  }

  @Override
  public OutputStream outputStream() {
    return output;
  }

  @Override
  public void shutdownOutput() throws IOException {
    shutdown(VsockSyscalls.SHUT_WR);
  }

  @Override
  public void shutdownInput() throws IOException {
    shutdown(VsockSyscalls.SHUT_RD);
  }

  @Override
  public void readTimeout(Duration timeout) throws IOException {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("read timeout must be >= 0, was " + timeout);
    }
    byte[] timeval = LinuxStructs.timeval(timeout, Native.LONG_SIZE, ByteOrder.nativeOrder());
    int fd = socket.acquire();
    try {
      int rc =
          socket.sys().setsockopt(fd, VsockSyscalls.SOL_SOCKET, VsockSyscalls.SO_RCVTIMEO, timeval);
      if (rc < 0) {
        throw AfVsockSocket.error("setsockopt(SO_RCVTIMEO)", -rc, remote);
      }
    } finally {
      socket.release();
    }
  }

  @Override
  public VsockAddress localAddress() {
    return local;
  }

  @Override
  public VsockAddress remoteAddress() {
    return remote;
  }

  @Override
  public boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void close() {
    socket.close();
  }

  @Override
  public String toString() {
    return "AfVsockConnection[" + local + " -> " + remote + "]";
  }

  private void shutdown(int how) throws IOException {
    int fd = socket.acquire();
    try {
      int rc = socket.sys().shutdown(fd, how);
      if (rc < 0) {
        throw AfVsockSocket.error("shutdown", -rc, remote);
      }
    } finally {
      socket.release();
    }
  }

  /** Reads with recv(2); a read woken by close() reports "Socket closed". */
  private final class Input extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      int wanted = Math.min(len, CHUNK);
      byte[] target = off == 0 ? b : new byte[wanted];
      int fd = socket.acquire();
      int n;
      try {
        do {
          n = socket.sys().recv(fd, target, wanted);
        } while (n == -VsockSyscalls.EINTR);
      } finally {
        socket.release();
      }
      if (socket.isClosed()) {
        // close() shut the socket down to wake this read; report it as Java sockets do.
        throw new SocketException("Socket closed");
      }
      if (n == -VsockSyscalls.EAGAIN) {
        throw new SocketTimeoutException("Read timed out");
      }
      if (n < 0) {
        throw AfVsockSocket.error("recv", -n, remote);
      }
      if (n == 0) {
        return -1;
      }
      if (target != b) {
        System.arraycopy(target, 0, b, off, n);
      }
      return n;
    }

    @Override
    public void close() {
      AfVsockConnection.this.close();
    }
  }

  /** Writes with send(2) and MSG_NOSIGNAL, looping until every byte is sent. */
  private final class Output extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      int fd = socket.acquire();
      try {
        int done = 0;
        while (done < len) {
          int chunk = Math.min(len - done, CHUNK);
          int from = off + done;
          byte[] source =
              from == 0 && chunk == b.length ? b : Arrays.copyOfRange(b, from, from + chunk);
          int n = socket.sys().send(fd, source, chunk);
          if (n == -VsockSyscalls.EINTR) {
            continue;
          }
          if (n < 0) {
            throw AfVsockSocket.error("send", -n, remote);
          }
          done += n;
        }
      } finally {
        socket.release();
      }
    }

    @Override
    public void close() {
      AfVsockConnection.this.close();
    }
  }
}

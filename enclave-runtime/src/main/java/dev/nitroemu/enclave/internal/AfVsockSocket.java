package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Objects;

/**
 * One AF_VSOCK file descriptor shared by the threads using it: a call holds it while in the kernel,
 * and {@link #close()} shuts the socket down (waking blocked readers) and closes the descriptor
 * only once the last such call has returned, so a descriptor number is never reused under a running
 * call.
 */
public final class AfVsockSocket {

  private final VsockSyscalls sys;
  private final int fd;
  private int users;
  private boolean closed;
  private boolean released;

  public AfVsockSocket(VsockSyscalls sys, int fd) {
    this.sys = Objects.requireNonNull(sys, "sys");
    this.fd = fd;
  }

  /** Opens a new AF_VSOCK stream socket. */
  public static AfVsockSocket open(VsockSyscalls sys) throws IOException {
    int fd =
        sys.socket(
            LinuxStructs.AF_VSOCK, VsockSyscalls.SOCK_STREAM | VsockSyscalls.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw error("socket(AF_VSOCK)", -fd, null);
    }
    return new AfVsockSocket(sys, fd);
  }

  public VsockSyscalls sys() {
    return sys;
  }

  /** Marks a call in progress and returns the descriptor; pair with {@link #release()}. */
  public synchronized int acquire() throws SocketException {
    if (closed) {
      throw new SocketException("Socket closed");
    }
    users++;
    return fd;
  }

  /** Ends a call started with {@link #acquire()}. */
  public void release() {
    boolean closeNow;
    synchronized (this) {
      users--;
      closeNow = closed && users == 0 && !released;
      released |= closeNow;
    }
    if (closeNow) {
      sys.close(fd);
    }
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /** Shuts the socket down and closes the descriptor once no call is using it; idempotent. */
  public void close() {
    boolean closeNow;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      closeNow = users == 0;
      released = closeNow;
    }
    // Wakes readers blocked in recv; for listeners it fails harmlessly (accept polls instead).
    sys.shutdown(fd, VsockSyscalls.SHUT_RDWR);
    if (closeNow) {
      sys.close(fd);
    }
  }

  /** The address the kernel reports for this socket's own end. */
  public VsockAddress localAddress() throws IOException {
    return address(true);
  }

  /** The address the kernel reports for the peer. */
  public VsockAddress remoteAddress() throws IOException {
    return address(false);
  }

  private VsockAddress address(boolean local) throws IOException {
    byte[] out = new byte[LinuxStructs.SOCKADDR_VM_SIZE];
    int descriptor = acquire();
    try {
      int rc = local ? sys.getsockname(descriptor, out) : sys.getpeername(descriptor, out);
      if (rc < 0) {
        throw error(local ? "getsockname" : "getpeername", -rc, null);
      }
      return LinuxStructs.parseSockaddrVm(out, out.length);
    } finally {
      release();
    }
  }

  /** Maps an errno from a socket call to the {@code java.net} exception a Java caller expects. */
  public static IOException error(String call, int errno, VsockAddress address) {
    String where = address == null ? "" : " " + address;
    switch (errno) {
      case VsockSyscalls.ECONNREFUSED:
        return new ConnectException("Connection refused:" + where);
      case VsockSyscalls.ETIMEDOUT:
        return new SocketTimeoutException(call + " timed out:" + where);
      case VsockSyscalls.ECONNRESET:
        // virtio-vsock answers a connect to a port nobody listens on with a reset, not a refusal.
        return call.startsWith("connect")
            ? new ConnectException("Connection refused (reset during connect):" + where)
            : new SocketException("Connection reset:" + where);
      case VsockSyscalls.EPIPE:
        return new SocketException("Broken pipe:" + where);
      case VsockSyscalls.EADDRINUSE:
        return new BindException("Address already in use:" + where);
      case VsockSyscalls.EADDRNOTAVAIL:
        return new BindException("Cannot assign requested address:" + where);
      case VsockSyscalls.ENETUNREACH:
      case VsockSyscalls.EHOSTUNREACH:
      case VsockSyscalls.ENODEV:
        return new NoRouteToHostException(
            "No route to" + where + " (" + call + ", errno " + errno + ")");
      case VsockSyscalls.EAFNOSUPPORT:
        return new SocketException("AF_VSOCK is not supported by this kernel (" + call + ")");
      default:
        return new SocketException(call + " failed: errno " + errno + where);
    }
  }
}

package dev.nitroemu.enclave.internal;

import com.sun.jna.Pointer;
import dev.nitroemu.enclave.Nsm;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays the Linux {@code drivers/misc/nsm.c} driver behind {@link NsmSyscalls}: it reads {@code
 * struct nsm_raw} from native memory at the kernel's fixed offsets (0, 8, 16, 24), rejects what the
 * kernel rejects, has a module answer, and writes the reply and {@code response.len} back.
 */
public final class SimulatedNsmDriver implements NsmSyscalls {
  private static final long NSM_IOCTL_RAW = 0xC0200A00L; // from linux nsm.h, written out on purpose
  private static final int EBADF = 9;

  private final Nsm module;
  private final Set<Integer> openDescriptors = new HashSet<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private int nextFd = 3;

  /** Number of open calls. */
  public final AtomicInteger opens = new AtomicInteger();

  /** Number of ioctl calls. */
  public final AtomicInteger ioctls = new AtomicInteger();

  /** Number of close calls. */
  public final AtomicInteger closes = new AtomicInteger();

  /** Set when two ioctls ever ran at the same time. */
  public volatile boolean overlapped;

  /** When positive, open fails with this errno. */
  public volatile int openErrno;

  /** When positive, ioctl fails with this errno. */
  public volatile int ioctlErrno;

  /** When non-negative, written as response.len instead of the real reply length. */
  public volatile long forcedResponseLength = -1;

  /** The request bytes of the last ioctl. */
  public volatile byte[] lastRequest;

  /** Native addresses of the last request and response buffers. */
  public volatile long lastRequestAddress;

  public volatile long lastResponseAddress;

  public SimulatedNsmDriver(Nsm module) {
    this.module = module;
  }

  @Override
  public synchronized int open(String path) {
    opens.incrementAndGet();
    if (openErrno > 0) {
      return -openErrno;
    }
    int fd = nextFd++;
    openDescriptors.add(fd);
    return fd;
  }

  /** Whether a descriptor is still open. */
  public synchronized boolean isOpen(int fd) {
    return openDescriptors.contains(fd);
  }

  /** Descriptors not yet closed. */
  public synchronized int openCount() {
    return openDescriptors.size();
  }

  @Override
  public int ioctl(int fd, long request, Pointer argument) {
    ioctls.incrementAndGet();
    if (inFlight.incrementAndGet() > 1) {
      overlapped = true;
    }
    try {
      return serve(fd, request, argument);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private int serve(int fd, long request, Pointer argument) {
    if (!isOpen(fd)) {
      return -EBADF;
    }
    if (request != NSM_IOCTL_RAW) {
      return -NsmIoctl.EINVAL;
    }
    long requestAddr = argument.getLong(0);
    long requestLen = argument.getLong(8);
    long responseAddr = argument.getLong(16);
    long responseLen = argument.getLong(24);
    if (requestLen > 0x1000) {
      return -NsmIoctl.EMSGSIZE;
    }
    if (ioctlErrno > 0) {
      return -ioctlErrno;
    }
    byte[] requestBytes = new Pointer(requestAddr).getByteArray(0, (int) requestLen);
    lastRequest = requestBytes;
    lastRequestAddress = requestAddr;
    lastResponseAddress = responseAddr;
    byte[] reply = module.process(requestBytes);
    int length = (int) Math.min(responseLen, reply.length);
    new Pointer(responseAddr).write(0, reply, 0, length);
    argument.setLong(24, forcedResponseLength >= 0 ? forcedResponseLength : length);
    return 0;
  }

  @Override
  public synchronized int close(int fd) {
    closes.incrementAndGet();
    return openDescriptors.remove(fd) ? 0 : -EBADF;
  }
}

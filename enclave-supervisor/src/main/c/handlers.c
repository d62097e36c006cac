/* nitro-emu-init: answers the trapped syscalls (open of /dev/nsm, ioctl, AF_VSOCK socket/connect). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h> /* before linux/vm_sockets.h, which needs struct sockaddr */
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor.h"

int notification_valid(const struct supervisor *s, uint64_t id) {
  return ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* Installs srcfd in the app as the syscall's result (atomically with SEND, kernel >= 5.14; else
 * ADDFD then the result). */
long inject_fd(const struct supervisor *s, const struct seccomp_notif *req, int srcfd, int cloexec) {
  struct seccomp_notif_addfd add = {
      .id = req->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)srcfd, .newfd_flags = cloexec ? O_CLOEXEC : 0};
  if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0) return RESULT_DONE;
  if (errno == EINVAL) {
    add.flags = 0;
    int fd = ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    if (fd >= 0) return fd;
  }
  return errno == ENOENT ? RESULT_DONE : -errno;
}

/* /dev/vsock, whose only ioctl (IOCTL_VM_SOCKETS_GET_LOCAL_CID) tells the enclave its CID (Go's
 * mdlayher/vsock and others ask it before listening): a sealed, empty memfd like /dev/nsm's, made
 * on the first open. */
#define VSOCK_DEVICE_PATH "/dev/vsock"
static int vsock_device = -1;
static struct stat vsock_device_stat;

static int open_vsock_device(void) {
  if (vsock_device >= 0) return vsock_device;
  int fd = memfd_create("nitro-emu-vsock", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0 ||
      fstat(fd, &vsock_device_stat) < 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return vsock_device = fd;
}

static long on_open(struct supervisor *s, const struct seccomp_notif *req, uint64_t path, uint64_t flags) {
  char name[sizeof VSOCK_DEVICE_PATH > sizeof NSM_PATH ? sizeof VSOCK_DEVICE_PATH : sizeof NSM_PATH] = {0};
  if (app_read((pid_t)req->pid, path, name, sizeof NSM_PATH) < 0) return RESULT_CONTINUE;
  if (memcmp(name, NSM_PATH, sizeof NSM_PATH) == 0) return inject_fd(s, req, s->nsm_file, (flags & O_CLOEXEC) != 0);
  if (app_read((pid_t)req->pid, path, name, sizeof VSOCK_DEVICE_PATH) < 0 ||
      memcmp(name, VSOCK_DEVICE_PATH, sizeof VSOCK_DEVICE_PATH) != 0) {
    return RESULT_CONTINUE;
  }
  int device = open_vsock_device();
  return device < 0 ? -ENOMEM : inject_fd(s, req, device, (flags & O_CLOEXEC) != 0);
}

static long on_openat2(struct supervisor *s, const struct seccomp_notif *req) {
  uint64_t flags; /* struct open_how starts with the u64 flags */
  if (req->data.args[3] < sizeof flags || app_read((pid_t)req->pid, req->data.args[2], &flags, sizeof flags) < 0) {
    return RESULT_CONTINUE;
  }
  return on_open(s, req, req->data.args[1], flags);
}

static long on_ioctl(struct supervisor *s, const struct seccomp_notif *req) {
  char link[64];
  struct stat st;
  pid_t pid = (pid_t)req->pid;
  int fd = (int)req->data.args[0];
  snprintf(link, sizeof link, "/proc/%d/fd/%d", pid, fd);
  if (fd < 0 || stat(link, &st) < 0) return RESULT_CONTINUE;
  if (st.st_dev == s->nsm_dev && st.st_ino == s->nsm_ino) return nsm_ioctl(s, req);
  if (vsock_device < 0 || st.st_dev != vsock_device_stat.st_dev || st.st_ino != vsock_device_stat.st_ino) {
    return RESULT_CONTINUE;
  }
  if ((uint32_t)req->data.args[1] != IOCTL_VM_SOCKETS_GET_LOCAL_CID) return -ENOTTY;
  uint32_t cid = s->cid;
  return app_write(pid, req->data.args[2], &cid, sizeof cid) < 0 ? -EFAULT : 0;
}

/* socket(AF_VSOCK, SOCK_STREAM, 0) becomes an AF_UNIX stream socket the app owns (the filter only
 * traps family AF_VSOCK). Datagram and seqpacket vsock are not emulated. */
static long on_socket(struct supervisor *s, const struct seccomp_notif *req) {
  int type = (int)req->data.args[1], protocol = (int)req->data.args[2];
  if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM) return -ESOCKTNOSUPPORT;
  if (protocol != 0) return -EPROTONOSUPPORT;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (type & SOCK_NONBLOCK), 0);
  if (fd < 0) return -errno;
  vsock_remember(fd, VMADDR_PORT_ANY, VMADDR_PORT_ANY, 0);
  long result = inject_fd(s, req, fd, (type & SOCK_CLOEXEC) != 0);
  close(fd);
  return result;
}

/* A copy of the app's fd: pidfd_getfd (5.6) through a pidfd of the thread (PIDFD_THREAD, 6.9+) or of
 * its process (pidfd_open refuses a thread that is not the leader: EINVAL before 6.9, ENOENT after
 * without PIDFD_THREAD). */
#define PIDFD_THREAD_FLAG O_EXCL
int grab_fd(pid_t tid, int fd) {
  int pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
  if (pidfd < 0) pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD_FLAG); /* a thread, Linux 6.9+ */
  if (pidfd < 0) {
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%d/status", tid);
    FILE *status = fopen(path, "re");
    while (status && fgets(line, sizeof line, status)) {
      if (strncmp(line, "Tgid:", 5) == 0) {
        pidfd = (int)syscall(SYS_pidfd_open, atoi(line + 5), 0);
        break;
      }
    }
    if (status) fclose(status);
  }
  if (pidfd < 0) return -1;
  int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  close(pidfd);
  return copy;
}

static int socket_option(int fd, int option) {
  int value = -1;
  socklen_t len = sizeof value;
  return getsockopt(fd, SOL_SOCKET, option, &value, &len) == 0 ? value : -1;
}

/* connect(fd, {AF_VSOCK, cid 3, port}) on a socket from on_socket: the supervisor connects the same
 * socket to <dir>/<base>_<port>. Connects to other address families run unchanged. */
static long connect_vsock(struct supervisor *s, const struct seccomp_notif *req, int sock) {
  struct sockaddr_vm vm;
  if (req->data.args[2] < sizeof vm) return -EINVAL;
  if (app_read((pid_t)req->pid, req->data.args[1], &vm, sizeof vm) < 0) return -EFAULT;
  if (vm.svm_cid != PARENT_CID) {
    fprintf(stderr, "nitro-emu-init: connect to vsock CID %u refused: only the parent (CID 3) is reachable\n", vm.svm_cid);
    return -ECONNRESET;
  }
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (port_socket_path(s, vm.svm_port, address.sun_path, sizeof address.sun_path) < 0) return -ENAMETOOLONG;
  struct timeval saved, bound;
  socklen_t len = sizeof saved;
  int blocking = !(fcntl(sock, F_GETFL) & O_NONBLOCK);
  vsock_connect_timeout(sock, &bound);
  if (blocking) { /* a full backlog waits the vsock connect timeout; the app's own SO_SNDTIMEO is restored */
    getsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &saved, &len);
    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
  }
  int rc = connect(sock, (struct sockaddr *)&address, sizeof address);
  int error = errno;
  if (blocking) setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &saved, sizeof saved);
  if (rc == 0) vsock_connected(sock, vm.svm_port);
  if (rc == 0) return 0;
  switch (error) {
    case ENOENT: case ECONNREFUSED: return -ECONNRESET; /* nobody listens: a vsock peer answers RST */
    case EAGAIN: return blocking ? -ETIMEDOUT : -EAGAIN;
    default: return -error;
  }
}

static long on_connect(struct supervisor *s, const struct seccomp_notif *req) {
  uint16_t family;
  if (req->data.args[2] < sizeof family || app_read((pid_t)req->pid, req->data.args[1], &family, sizeof family) < 0 ||
      family != AF_VSOCK) {
    return RESULT_CONTINUE;
  }
  /* Never run unchanged: no connect with a vsock address reaches the kernel's AF_VSOCK. */
  int sock = grab_fd((pid_t)req->pid, (int)req->data.args[0]);
  if (sock < 0) return errno == EBADF ? -EBADF : -EINVAL;
  int domain = socket_option(sock, SO_DOMAIN);
  long result = domain < 0 ? -ENOTSOCK : -EINVAL;
  if (domain == AF_UNIX && socket_option(sock, SO_TYPE) == SOCK_STREAM) {
    result = connect_vsock(s, req, sock);
  }
  close(sock);
  return result;
}

void handle_notification(struct supervisor *s, const struct seccomp_notif *req) {
  long result;
  const __u64 *a = req->data.args;
  switch (req->data.nr) {
#ifdef SYS_open
    case SYS_open: result = on_open(s, req, a[0], a[1]); break;
#endif
    case SYS_openat: result = on_open(s, req, a[1], a[2]); break;
    case SYS_openat2: result = on_openat2(s, req); break;
    case SYS_ioctl: result = on_ioctl(s, req); break;
    case SYS_socket: result = on_socket(s, req); break;
    case SYS_connect: result = on_connect(s, req); break;
    case SYS_bind: result = on_bind(s, req); break;
    case SYS_listen: result = on_listen(s, req); break;
#ifdef SYS_accept
    case SYS_accept: result = on_accept(s, req, 0); break;
#endif
    case SYS_accept4: result = on_accept(s, req, (int)a[3]); break;
    case SYS_getsockname: result = on_sockname(s, req, 0); break;
    case SYS_getpeername: result = on_sockname(s, req, 1); break;
    case SYS_setsockopt: result = on_sockopt(s, req, 1); break;
    case SYS_getsockopt: result = on_sockopt(s, req, 0); break;
    default: result = RESULT_CONTINUE;
  }
  if (result != RESULT_DONE) answer(s, req->id, result);
}

void answer(const struct supervisor *s, uint64_t id, long result) {
  struct seccomp_notif_resp resp = {.id = id};
  if (result == RESULT_CONTINUE) {
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else if (result < 0) {
    resp.error = (int32_t)result;
  } else {
    resp.val = result;
  }
  if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT) {
    fprintf(stderr, "nitro-emu-init: answering a syscall: %s\n", strerror(errno));
  }
}

/* nitro-emu-init: the NSM ioctl, answered by the emulator's NSM service over hybrid vsock. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor.h"

int app_read(pid_t pid, uint64_t addr, void *buf, size_t len) {
  if (len == 0) return 0;
  struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

int app_write(pid_t pid, uint64_t addr, const void *buf, size_t len) {
  if (len == 0) return 0;
  struct iovec local = {(void *)buf, len}, remote = {(void *)(uintptr_t)addr, len};
  return process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

int port_socket_path(const struct supervisor *s, uint32_t port, char *path, size_t size) {
  int n = snprintf(path, size, "%s/%s_%u", s->vsock_dir, s->base_name, port);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int connect_service(const struct supervisor *s) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (port_socket_path(s, s->nsm_port, address.sun_path, sizeof address.sun_path) < 0) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval timeout = {.tv_sec = IO_TIMEOUT_SECONDS};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    fprintf(stderr, "nitro-emu-init: NSM service %s: %s\n", address.sun_path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

static int send_all(int fd, const uint8_t *data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

static int receive_all(int fd, uint8_t *data, size_t len) {
  while (len > 0) {
    ssize_t n = recv(fd, data, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* One request/response exchange in the NSM service's framing (4-byte big-endian length + bytes).
 * Returns the response length, or -1 (the connection is then closed). A request is sent at most
 * once: only a connection that fails while sending is reopened, so no request runs twice. */
static long nsm_exchange(struct supervisor *s, const uint8_t *request, uint32_t len, uint8_t *response) {
  static uint8_t frame[4 + NSM_REQUEST_MAX]; /* one send for header and request */
  frame[0] = (uint8_t)(len >> 24);
  frame[1] = (uint8_t)(len >> 16);
  frame[2] = (uint8_t)(len >> 8);
  frame[3] = (uint8_t)len;
  memcpy(frame + 4, request, len);
  for (int attempt = 0; attempt < 2; attempt++) {
    if (s->nsm_connection < 0 && (s->nsm_connection = connect_service(s)) < 0) return -1;
    if (send_all(s->nsm_connection, frame, 4 + (size_t)len) == 0) {
      uint8_t reply[4];
      if (receive_all(s->nsm_connection, reply, 4) == 0) {
        uint32_t n = (uint32_t)reply[0] << 24 | (uint32_t)reply[1] << 16 | (uint32_t)reply[2] << 8 | reply[3];
        if (n <= NSM_RESPONSE_MAX && receive_all(s->nsm_connection, response, n) == 0) return n;
        fprintf(stderr, "nitro-emu-init: NSM service answered %u bytes (at most %u) or closed\n", n, NSM_RESPONSE_MAX);
      }
      attempt = 2; /* the service may have acted on the request: never resend it */
    }
    close(s->nsm_connection);
    s->nsm_connection = -1;
  }
  return -1;
}

/* The driver's semantics (drivers/misc/nsm.c): copy the struct, bound and copy the request, get the
 * reply, truncate it to the caller's buffer, write it and then the struct with the new length. */
long nsm_ioctl(struct supervisor *s, const struct seccomp_notif *req) {
  pid_t pid = (pid_t)req->pid;
  if ((uint32_t)req->data.args[1] != NSM_IOCTL_RAW) return -EINVAL;
  uint64_t arg = req->data.args[2];
  struct nsm_raw raw;
  if (app_read(pid, arg, &raw, sizeof raw) < 0) return -EFAULT;
  if (raw.request_len > NSM_REQUEST_MAX) return -EMSGSIZE;
  uint8_t request[NSM_REQUEST_MAX];
  if (app_read(pid, raw.request_addr, request, raw.request_len) < 0) return -EFAULT;
  if (!notification_valid(s, req->id)) return RESULT_DONE;
  static uint8_t response[NSM_RESPONSE_MAX];
  long n = nsm_exchange(s, request, (uint32_t)raw.request_len, response);
  if (n < 0) return -EIO;
  if (raw.response_len > (uint64_t)n) raw.response_len = (uint64_t)n;
  if (app_write(pid, raw.response_addr, response, raw.response_len) < 0) return -EFAULT;
  if (app_write(pid, arg, &raw, sizeof raw) < 0) return -EFAULT;
  return 0;
}

/* nitro-emu-init: what an emulated vsock socket is, and the vsock view of it: bind, listen,
 * getsockname/getpeername as sockaddr_vm, and the AF_VSOCK-level socket options.
 *
 * An emulated vsock socket is an AF_UNIX stream socket. Its state lives in the kernel where it can:
 * a socket bound to vsock port P is bound to the supervisor's private abstract address
 * "\0nitro-emu-vsock.<supervisor pid>.<P>" (so EADDRINUSE and the listen backlog are the kernel's),
 * a client is connected to <dir>/<base>_<P>. The rest (sockets not bound yet, the ports of accepted
 * sockets and of clients, socket options) is kept in a table keyed by the socket's inode. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h> /* before linux/vm_sockets.h, which needs struct sockaddr */
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor.h"

#define TABLE_SIZE 16384 /* sockets tracked; beyond that the oldest entry is reused */
#define TABLE_PROBES 8
#define FIRST_EPHEMERAL_PORT 49152u
#define DEFAULT_BUFFER_SIZE (256u * 1024) /* the kernel's VSOCK_DEFAULT_BUFFER_* values */
#define DEFAULT_BUFFER_MIN 128u
#define DEFAULT_CONNECT_TIMEOUT_SECONDS 2

struct entry {
  uint64_t ino, stamp; /* ino 0: free */
  uint32_t local_cid, local_port, peer_port;
  int accepted;
  uint64_t buffer_size, buffer_min, buffer_max;
  int64_t timeout[2]; /* struct timeval on 64-bit: seconds, microseconds */
};

static struct entry table[TABLE_SIZE];
static uint64_t stamps;
static uint32_t next_port = FIRST_EPHEMERAL_PORT;

static uint64_t inode_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? (uint64_t)st.st_ino : 0;
}

static struct entry *find(uint64_t ino, int create) {
  if (ino == 0) return NULL;
  size_t start = (size_t)(ino * 0x9E3779B97F4A7C15ull >> 50) % TABLE_SIZE;
  struct entry *oldest = &table[start];
  for (size_t k = 0; k < TABLE_PROBES; k++) {
    struct entry *e = &table[(start + k) % TABLE_SIZE];
    if (e->ino == ino) return e;
    if (e->stamp < oldest->stamp) oldest = e;
  }
  if (!create) return NULL;
  *oldest = (struct entry){.ino = ino, .stamp = ++stamps, .local_cid = VMADDR_CID_ANY, .local_port = VMADDR_PORT_ANY,
                           .buffer_size = DEFAULT_BUFFER_SIZE, .buffer_min = DEFAULT_BUFFER_MIN,
                           .buffer_max = DEFAULT_BUFFER_SIZE, .timeout = {DEFAULT_CONNECT_TIMEOUT_SECONDS, 0}};
  return oldest;
}

void vsock_remember(int fd, uint32_t local_port, uint32_t peer_port, int accepted) {
  struct entry *e = find(inode_of(fd), 1);
  if (!e) return;
  e->local_port = local_port;
  e->peer_port = peer_port;
  e->accepted = accepted;
}

void vsock_connected(int fd, uint32_t peer_port) {
  struct entry *e = find(inode_of(fd), 1);
  if (!e) return;
  if (e->local_port == VMADDR_PORT_ANY) {
    e->local_port = next_port;
    next_port = next_port >= 0xFFFFFFF0u ? FIRST_EPHEMERAL_PORT : next_port + 1;
  }
  e->peer_port = peer_port;
}

void vsock_connect_timeout(int fd, struct timeval *timeout) {
  const struct entry *e = find(inode_of(fd), 0);
  *timeout = (struct timeval){.tv_sec = e ? e->timeout[0] : DEFAULT_CONNECT_TIMEOUT_SECONDS, .tv_usec = e ? e->timeout[1] : 0};
}

socklen_t vsock_private_address(const struct supervisor *s, uint32_t port, void *sockaddr_un) {
  struct sockaddr_un *address = sockaddr_un;
  memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  int n = snprintf(address->sun_path + 1, sizeof address->sun_path - 1, "nitro-emu-vsock.%d.%u", (int)s->self, port);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* The vsock port of a private address of this supervisor, or VMADDR_PORT_ANY. */
static uint32_t private_port(const struct supervisor *s, const struct sockaddr_un *address, socklen_t len) {
  char prefix[64];
  int n = snprintf(prefix, sizeof prefix, "nitro-emu-vsock.%d.", (int)s->self);
  size_t path_len = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
  if (path_len < (size_t)n + 2 || address->sun_path[0] != 0 || memcmp(address->sun_path + 1, prefix, (size_t)n) != 0) {
    return VMADDR_PORT_ANY;
  }
  char digits[16] = {0};
  size_t count = path_len - 1 - (size_t)n;
  if (count >= sizeof digits) return VMADDR_PORT_ANY;
  memcpy(digits, address->sun_path + 1 + n, count);
  return (uint32_t)strtoul(digits, NULL, 10);
}

/* The port P of a path ending in /<base>_P (the parent's listener), or VMADDR_PORT_ANY. */
static uint32_t parent_port(const struct supervisor *s, const struct sockaddr_un *address, socklen_t len) {
  if (len <= offsetof(struct sockaddr_un, sun_path) || address->sun_path[0] == 0) return VMADDR_PORT_ANY;
  const char *slash = strrchr(address->sun_path, '/');
  const char *name = slash ? slash + 1 : address->sun_path;
  size_t base = strlen(s->base_name);
  if (strncmp(name, s->base_name, base) != 0 || name[base] != '_' || name[base + 1] < '0' || name[base + 1] > '9') {
    return VMADDR_PORT_ANY;
  }
  return (uint32_t)strtoul(name + base + 1, NULL, 10);
}

static int is_multiplexer_path(const struct supervisor *s, const struct sockaddr_un *address, socklen_t len) {
  char path[sizeof address->sun_path];
  int n = snprintf(path, sizeof path, "%s/%s", s->vsock_dir, s->base_name);
  return len > offsetof(struct sockaddr_un, sun_path) && n > 0 && (size_t)n < sizeof path &&
         strncmp(address->sun_path, path, sizeof path) == 0;
}

static int int_option(int fd, int option) {
  int value = -1;
  socklen_t len = sizeof value;
  return getsockopt(fd, SOL_SOCKET, option, &value, &len) == 0 ? value : -1;
}

struct vsock_socket vsock_identify(const struct supervisor *s, int fd) {
  struct vsock_socket v = {.kind = VSOCK_NONE, .local_cid = VMADDR_CID_ANY, .local_port = VMADDR_PORT_ANY,
                           .peer_port = VMADDR_PORT_ANY};
  uint64_t ino = inode_of(fd);
  if (ino == 0 || int_option(fd, SO_DOMAIN) != AF_UNIX || int_option(fd, SO_TYPE) != SOCK_STREAM) return v;
  struct sockaddr_un local, peer;
  socklen_t local_len = sizeof local, peer_len = sizeof peer;
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) < 0) return v;
  int connected = getpeername(fd, (struct sockaddr *)&peer, &peer_len) == 0;
  const struct entry *e = find(ino, 0);
  uint32_t bound = private_port(s, &local, local_len);
  if (bound != VMADDR_PORT_ANY) {
    v.kind = VSOCK_BOUND;
    v.local_port = bound;
    v.local_cid = e ? e->local_cid : VMADDR_CID_ANY;
    v.listening = int_option(fd, SO_ACCEPTCONN) == 1;
  } else if (e && e->accepted && is_multiplexer_path(s, &local, local_len)) {
    v.kind = VSOCK_ACCEPTED;
    v.local_port = e->local_port;
    v.peer_port = e->peer_port;
    v.local_cid = s->cid;
    return v;
  } else if (e) {
    v.kind = VSOCK_FRESH;
    v.local_port = e->local_port;
  } else {
    return v;
  }
  if (connected) {
    v.kind = VSOCK_CONNECTED;
    v.local_cid = s->cid;
    v.peer_port = parent_port(s, &peer, peer_len);
  }
  return v;
}

long vsock_bind_port(const struct supervisor *s, int fd, uint32_t port, uint32_t cid) {
  struct sockaddr_un address;
  int any = port == VMADDR_PORT_ANY;
  for (uint32_t tries = 0; tries < (any ? 65536u : 1u); tries++) {
    uint32_t candidate = any ? next_port : port;
    if (any) next_port = next_port >= 0xFFFFFFF0u ? FIRST_EPHEMERAL_PORT : next_port + 1;
    socklen_t len = vsock_private_address(s, candidate, &address);
    if (bind(fd, (struct sockaddr *)&address, len) == 0) {
      struct entry *e = find(inode_of(fd), 1);
      if (e) e->local_cid = cid;
      return 0;
    }
    if (errno != EADDRINUSE) return -errno;
  }
  return -EADDRINUSE;
}

/* Reads the sockaddr_vm of bind/connect; 1 if it is one, 0 if another family, else a negative errno. */
static long read_vsock_address(const struct seccomp_notif *req, struct sockaddr_vm *vm) {
  uint16_t family;
  if (req->data.args[2] < sizeof family || app_read((pid_t)req->pid, req->data.args[1], &family, sizeof family) < 0 ||
      family != AF_VSOCK) {
    return 0;
  }
  if (req->data.args[2] < sizeof *vm) return -EINVAL;
  return app_read((pid_t)req->pid, req->data.args[1], vm, sizeof *vm) < 0 ? -EFAULT : 1;
}

long on_bind(struct supervisor *s, const struct seccomp_notif *req) {
  struct sockaddr_vm vm;
  long is_vsock = read_vsock_address(req, &vm);
  if (is_vsock <= 0) return is_vsock == 0 ? RESULT_CONTINUE : is_vsock;
  int copy = grab_fd((pid_t)req->pid, (int)req->data.args[0]);
  if (copy < 0) return -EBADF;
  struct vsock_socket v = vsock_identify(s, copy);
  long result;
  if (v.kind == VSOCK_NONE) result = inode_of(copy) ? -EINVAL : -ENOTSOCK;
  else if (v.kind != VSOCK_FRESH) result = -EINVAL; /* already bound */
  else if (vm.svm_cid != VMADDR_CID_ANY && vm.svm_cid != s->cid) result = -EADDRNOTAVAIL;
  else result = vsock_bind_port(s, copy, vm.svm_port, vm.svm_cid);
  close(copy);
  return result;
}

long on_listen(struct supervisor *s, const struct seccomp_notif *req) {
  int copy = grab_fd((pid_t)req->pid, (int)req->data.args[0]);
  if (copy < 0) return RESULT_CONTINUE;
  struct vsock_socket v = vsock_identify(s, copy);
  close(copy);
  if (v.kind == VSOCK_NONE) return RESULT_CONTINUE;
  if (v.kind != VSOCK_BOUND) return -EINVAL; /* the kernel's vsock_listen: unbound or connected */
  long opened = servers_multiplexer(s);
  return opened < 0 ? opened : RESULT_CONTINUE; /* the listen itself is the kernel's, with the app's backlog */
}

/* Writes a sockaddr_vm to (addr, addrlen) as the kernel's move_addr_to_user does. */
long write_vsock_address(pid_t pid, uint64_t addr, uint64_t addrlen, uint32_t cid, uint32_t port) {
  struct sockaddr_vm vm = {.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
  int len;
  if (addr == 0) return 0;
  if (app_read(pid, addrlen, &len, sizeof len) < 0) return -EFAULT;
  if (len < 0) return -EINVAL;
  int full = (int)sizeof vm;
  if (app_write(pid, addr, &vm, (size_t)(len < full ? len : full)) < 0) return -EFAULT;
  return app_write(pid, addrlen, &full, sizeof full) < 0 ? -EFAULT : 0;
}

long on_sockname(struct supervisor *s, const struct seccomp_notif *req, int peer) {
  int copy = grab_fd((pid_t)req->pid, (int)req->data.args[0]);
  if (copy < 0) return RESULT_CONTINUE;
  struct vsock_socket v = vsock_identify(s, copy);
  close(copy);
  if (v.kind == VSOCK_NONE) return RESULT_CONTINUE;
  uint32_t cid = v.local_cid, port = v.local_port;
  if (peer) {
    if (v.kind != VSOCK_CONNECTED && v.kind != VSOCK_ACCEPTED) return -ENOTCONN;
    cid = PARENT_CID;
    port = v.peer_port;
  }
  if (req->data.args[1] == 0) return -EFAULT;
  return write_vsock_address((pid_t)req->pid, req->data.args[1], req->data.args[2], cid, port);
}

static void update_buffer_size(struct entry *e, uint64_t value) {
  if (value > e->buffer_max) value = e->buffer_max;
  if (value < e->buffer_min) value = e->buffer_min;
  e->buffer_size = value;
}

static long set_option(struct entry *e, pid_t pid, int name, uint64_t optval, uint64_t optlen) {
  int64_t timeout[2];
  uint64_t value;
  switch (name) {
    case SO_VM_SOCKETS_BUFFER_SIZE:
    case SO_VM_SOCKETS_BUFFER_MIN_SIZE:
    case SO_VM_SOCKETS_BUFFER_MAX_SIZE:
      if (optlen < sizeof value) return -EINVAL;
      if (app_read(pid, optval, &value, sizeof value) < 0) return -EFAULT;
      if (name == SO_VM_SOCKETS_BUFFER_MIN_SIZE) e->buffer_min = value;
      if (name == SO_VM_SOCKETS_BUFFER_MAX_SIZE) e->buffer_max = value;
      update_buffer_size(e, name == SO_VM_SOCKETS_BUFFER_SIZE ? value : e->buffer_size);
      return 0;
    case SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD:
    case SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW:
      if (optlen < sizeof timeout) return -EINVAL;
      if (app_read(pid, optval, timeout, sizeof timeout) < 0) return -EFAULT;
      if (timeout[0] < 0 || timeout[1] < 0 || timeout[1] >= 1000000) return -ERANGE;
      if (timeout[0] == 0 && timeout[1] == 0) timeout[0] = DEFAULT_CONNECT_TIMEOUT_SECONDS;
      memcpy(e->timeout, timeout, sizeof timeout);
      return 0;
    default:
      return -ENOPROTOOPT;
  }
}

static long get_option(const struct entry *e, pid_t pid, int name, uint64_t optval, uint64_t optlen) {
  uint8_t value[16];
  int size = 8, len;
  switch (name) {
    case SO_VM_SOCKETS_BUFFER_SIZE: memcpy(value, &e->buffer_size, 8); break;
    case SO_VM_SOCKETS_BUFFER_MIN_SIZE: memcpy(value, &e->buffer_min, 8); break;
    case SO_VM_SOCKETS_BUFFER_MAX_SIZE: memcpy(value, &e->buffer_max, 8); break;
    case SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD:
    case SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW:
      size = 16;
      memcpy(value, e->timeout, 16);
      break;
    default: return -ENOPROTOOPT;
  }
  if (app_read(pid, optlen, &len, sizeof len) < 0) return -EFAULT;
  if (len < size) return -EINVAL;
  if (app_write(pid, optval, value, (size_t)size) < 0) return -EFAULT;
  return app_write(pid, optlen, &size, sizeof size) < 0 ? -EFAULT : 0;
}

/* setsockopt/getsockopt at level AF_VSOCK (the only level the filter traps): the kernel's
 * af_vsock.c options, kept per socket; any other option is ENOPROTOOPT as there. */
long on_sockopt(struct supervisor *s, const struct seccomp_notif *req, int set) {
  int copy = grab_fd((pid_t)req->pid, (int)req->data.args[0]);
  if (copy < 0) return RESULT_CONTINUE;
  struct vsock_socket v = vsock_identify(s, copy);
  struct entry *e = v.kind == VSOCK_NONE ? NULL : find(inode_of(copy), 1);
  close(copy);
  if (!e) return RESULT_CONTINUE;
  const __u64 *a = req->data.args;
  return set ? set_option(e, (pid_t)req->pid, (int)a[2], a[3], a[4]) : get_option(e, (pid_t)req->pid, (int)a[2], a[3], a[4]);
}

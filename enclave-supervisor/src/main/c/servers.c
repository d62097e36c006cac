/* nitro-emu-init: enclave servers. The supervisor is the enclave side of the hybrid vsock protocol:
 * it listens on <dir>/<base> (the multiplexer), reads each parent connection's "CONNECT <P>\n"
 * (at most 32 bytes, within 5 s), and hands it to the app's listener on vsock port P.
 *
 * The app's listener is a real AF_UNIX listener bound to the supervisor's private address of P
 * (vsock.c), so poll/epoll readiness, the backlog and non-blocking accept are the kernel's. For each
 * parent connection the supervisor connects a placeholder to that listener, answers "OK <host
 * port>\n" and queues the parent's fd. The app's accept (trapped) takes a placeholder from its
 * listener (through the supervisor's copy), and receives the queued parent fd instead, with
 * sockaddr_vm {3, host port}. A blocking accept with nothing queued is parked: the supervisor keeps
 * answering other notifications and answers it when the listener becomes readable. An unknown port,
 * a full backlog, a bad or late line, or too many connections close the parent's connection
 * unanswered, as HybridVsockTransport's enclave side does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "supervisor.h"

#define MAX_HANDSHAKES 64  /* parent connections still sending their CONNECT line */
#define MAX_PENDING 256    /* parent connections answered and waiting for the app's accept */
#define MAX_PARKED 128     /* blocking accepts waiting for a connection */
#define HANDSHAKE_MS 5000  /* bound on the whole CONNECT line (HybridVsockTransport's default) */
#define LINE_MAX_BYTES 32  /* longest CONNECT line, newline included (Firecracker's limit) */
#define FIRST_HOST_PORT (1u << 30)
#define MULTIPLEXER_BACKLOG 128

struct handshake { struct watch w; long long deadline; size_t len; char line[LINE_MAX_BYTES + 1]; };
struct pending { struct watch w; int parent; uint32_t port, host_port; uint64_t seq; }; /* w: the placeholder */
struct parked { struct watch w; struct seccomp_notif req; int flags; uint32_t port; };  /* w: listener copy */

static struct handshake handshakes[MAX_HANDSHAKES];
static struct pending pending[MAX_PENDING];
static struct parked parked[MAX_PARKED];
static struct watch multiplexer_watch = {.fd = -1};
static char multiplexer_path[sizeof ((struct sockaddr_un *)0)->sun_path];
static uint32_t next_host_port = FIRST_HOST_PORT;
static uint64_t next_seq;
static int initialised;

static void init_slots(void) {
  if (initialised) return;
  for (int i = 0; i < MAX_HANDSHAKES; i++) handshakes[i].w.fd = -1;
  for (int i = 0; i < MAX_PENDING; i++) pending[i].w.fd = -1;
  for (int i = 0; i < MAX_PARKED; i++) parked[i].w.fd = -1;
  initialised = 1;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void release(struct supervisor *s, struct watch *w) {
  watch_remove(s, w);
  close(w->fd);
  w->fd = -1;
}

static void drop_pending(struct supervisor *s, struct pending *p) {
  close(p->parent);
  release(s, &p->w);
}

/* The placeholder hung up: the app closed its listener; the parent's connection is closed too. */
static void on_placeholder(struct supervisor *s, struct watch *w, uint32_t events) {
  (void)events;
  drop_pending(s, (struct pending *)w);
}

/* After a valid CONNECT line: queue the parent's connection for the app's listener on port. */
static void dispatch(struct supervisor *s, int parent, uint32_t port) {
  struct pending *p = NULL;
  for (int i = 0; i < MAX_PENDING && !p; i++) if (pending[i].w.fd < 0) p = &pending[i];
  int placeholder = p ? socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
  struct sockaddr_un address;
  socklen_t len = vsock_private_address(s, port, &address);
  if (placeholder < 0 || connect(placeholder, (struct sockaddr *)&address, len) < 0) { /* no listener, or full */
    if (placeholder >= 0) close(placeholder);
    close(parent);
    return;
  }
  uint32_t host_port = next_host_port;
  next_host_port = next_host_port == 0x7FFFFFFFu ? FIRST_HOST_PORT : next_host_port + 1;
  char ok[LINE_MAX_BYTES];
  int n = snprintf(ok, sizeof ok, "OK %u\n", host_port);
  *p = (struct pending){.w = {placeholder, on_placeholder}, .parent = parent, .port = port, .host_port = host_port,
                        .seq = next_seq++};
  if (send(parent, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n || watch_add(s, &p->w, EPOLLRDHUP) < 0) {
    close(placeholder);
    close(parent);
    p->w.fd = -1;
  }
}

/* Parses "CONNECT <port>" (verb in any case, whitespace between, optional \r): the port or -1. */
static long long parse_connect(char *line) {
  size_t len = strlen(line);
  if (len > 0 && line[len - 1] == '\r') line[--len] = 0;
  for (size_t i = 0; i < len; i++) if (line[i] != '\t' && (line[i] < 0x20 || line[i] > 0x7E)) return -1;
  char *save, *verb = strtok_r(line, " \t", &save), *port = strtok_r(NULL, " \t", &save);
  if (!verb || !port || strtok_r(NULL, " \t", &save) || strcasecmp(verb, "CONNECT") != 0) return -1;
  if (strlen(port) > 10) return -1;
  for (char *c = port; *c; c++) if (*c < '0' || *c > '9') return -1;
  long long value = strtoll(port, NULL, 10);
  return value > 0xFFFFFFFFll ? -1 : value;
}

/* Reads the CONNECT line as it comes, never a byte of the stream after it: bytes up to a newline are
 * taken (so a line trickling in does not keep the connection readable), the rest is left. */
static void on_handshake(struct supervisor *s, struct watch *w, uint32_t events) {
  (void)events;
  struct handshake *h = (struct handshake *)w;
  char peek[LINE_MAX_BYTES];
  ssize_t n = recv(w->fd, peek, LINE_MAX_BYTES - h->len, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  char *newline = n > 0 ? memchr(peek, '\n', (size_t)n) : NULL;
  size_t take = newline ? (size_t)(newline - peek) + 1 : n > 0 ? (size_t)n : 0;
  long long port = -1;
  if (take > 0 && recv(w->fd, h->line + h->len, take, MSG_DONTWAIT) == (ssize_t)take) {
    h->len += take;
    if (!newline && h->len < LINE_MAX_BYTES) return; /* wait for the rest of the line */
    if (newline) {
      h->line[h->len - 1] = 0;
      port = parse_connect(h->line);
    }
  }
  int fd = w->fd;
  watch_remove(s, w);
  w->fd = -1;
  if (port < 0) close(fd);
  else dispatch(s, fd, (uint32_t)port);
}

static void on_multiplexer(struct supervisor *s, struct watch *w, uint32_t events) {
  (void)events;
  for (;;) {
    int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    struct handshake *h = NULL;
    for (int i = 0; i < MAX_HANDSHAKES && !h; i++) if (handshakes[i].w.fd < 0) h = &handshakes[i];
    if (!h) {
      close(fd);
      continue;
    }
    h->w = (struct watch){fd, on_handshake};
    h->deadline = now_ms() + HANDSHAKE_MS;
    h->len = 0;
    if (watch_add(s, &h->w, EPOLLIN | EPOLLRDHUP) < 0) {
      close(fd);
      h->w.fd = -1;
    }
  }
}

long servers_multiplexer(struct supervisor *s) {
  init_slots();
  if (multiplexer_watch.fd >= 0) return 0;
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  int n = snprintf(address.sun_path, sizeof address.sun_path, "%s/%s", s->vsock_dir, s->base_name);
  if (n < 0 || (size_t)n >= sizeof address.sun_path) return -ENAMETOOLONG;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 && errno == EADDRINUSE) {
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); /* a stale file, or a live enclave side? */
    int live = probe >= 0 && connect(probe, (struct sockaddr *)&address, sizeof address) == 0;
    if (probe >= 0) close(probe);
    if (!live) unlink(address.sun_path);
    if (live || bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
      fprintf(stderr, "nitro-emu-init: cannot serve %s for the parent's connections: %s\n", address.sun_path,
              live ? "another enclave side listens there" : strerror(errno));
      close(fd);
      return -EADDRINUSE;
    }
  }
  if (listen(fd, MULTIPLEXER_BACKLOG) < 0) {
    long error = -errno;
    close(fd);
    return error;
  }
  multiplexer_watch = (struct watch){fd, on_multiplexer};
  memcpy(multiplexer_path, address.sun_path, sizeof multiplexer_path);
  s->multiplexer = fd;
  return watch_add(s, &multiplexer_watch, EPOLLIN) < 0 ? -errno : 0;
}

void servers_close(struct supervisor *s) {
  if (s->multiplexer >= 0) unlink(multiplexer_path);
}

/* The oldest queued parent connection for port, or NULL. */
static struct pending *oldest_pending(uint32_t port) {
  struct pending *found = NULL;
  for (int i = 0; i < MAX_PENDING; i++) {
    struct pending *p = &pending[i];
    if (p->w.fd >= 0 && p->port == port && (!found || p->seq < found->seq)) found = p;
  }
  return found;
}

static int my_placeholder(int connection) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  return getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == getpid();
}

/* One accept on the app's listener (copy): the result, -EAGAIN when nothing is queued, or
 * RESULT_DONE when the fd was installed with the answer. Never blocks. */
static long try_accept(struct supervisor *s, const struct seccomp_notif *req, int copy, int flags, uint32_t port) {
  for (;;) {
    struct pollfd ready = {.fd = copy, .events = POLLIN};
    if (poll(&ready, 1, 0) <= 0 || !(ready.revents & POLLIN)) return -EAGAIN;
    if (!notification_valid(s, req->id)) return RESULT_DONE; /* the thread gave up: keep the connection */
    int connection = accept4(copy, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (connection < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
    int mine = my_placeholder(connection);
    close(connection);
    struct pending *p = mine ? oldest_pending(port) : NULL;
    if (!p) continue; /* someone else connected to the private address, or a dropped entry */
    int parent = p->parent;
    uint32_t host_port = p->host_port;
    p->parent = -1;
    release(s, &p->w);
    int status = fcntl(parent, F_GETFL);
    fcntl(parent, F_SETFL, (flags & SOCK_NONBLOCK) ? status | O_NONBLOCK : status & ~O_NONBLOCK);
    long result = write_vsock_address((pid_t)req->pid, req->data.args[1], req->data.args[2], PARENT_CID, host_port);
    if (result == 0) {
      vsock_remember(parent, port, host_port, 1);
      result = inject_fd(s, req, parent, (flags & SOCK_CLOEXEC) != 0);
    }
    close(parent);
    return result;
  }
}

static void on_parked(struct supervisor *s, struct watch *w, uint32_t events) {
  (void)events;
  struct parked *k = (struct parked *)w;
  long result = try_accept(s, &k->req, w->fd, k->flags, k->port);
  if (result == -EAGAIN) return;
  if (result != RESULT_DONE) answer(s, k->req.id, result);
  release(s, w);
}

long on_accept(struct supervisor *s, const struct seccomp_notif *req, int flags) {
  int copy = grab_fd((pid_t)req->pid, (int)req->data.args[0]);
  if (copy < 0) return RESULT_CONTINUE;
  struct vsock_socket v = vsock_identify(s, copy);
  long result;
  if (v.kind == VSOCK_NONE) result = RESULT_CONTINUE;
  else if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) result = -EINVAL;
  else if (v.kind != VSOCK_BOUND || !v.listening) result = -EINVAL;
  else result = try_accept(s, req, copy, flags, v.local_port);
  if (result == -EAGAIN && !(fcntl(copy, F_GETFL) & O_NONBLOCK)) {
    init_slots();
    for (int i = 0; i < MAX_PARKED; i++) {
      struct parked *k = &parked[i];
      if (k->w.fd >= 0) continue;
      *k = (struct parked){.w = {copy, on_parked}, .req = *req, .flags = flags, .port = v.local_port};
      if (watch_add(s, &k->w, EPOLLIN) == 0) return RESULT_DONE;
      k->w.fd = -1;
      break;
    }
    result = -ENOBUFS; /* more blocking accepts waiting than the supervisor keeps */
  }
  close(copy);
  return result;
}

int servers_tick(struct supervisor *s) {
  if (!initialised) return -1;
  int busy = 0;
  long long now = now_ms();
  for (int i = 0; i < MAX_HANDSHAKES; i++) {
    if (handshakes[i].w.fd < 0) continue;
    if (handshakes[i].deadline <= now) release(s, &handshakes[i].w);
    else busy = 1;
  }
  for (int i = 0; i < MAX_PARKED; i++) {
    if (parked[i].w.fd < 0) continue;
    if (!notification_valid(s, parked[i].req.id)) release(s, &parked[i].w); /* interrupted, or the thread died */
    else busy = 1;
  }
  return busy ? 500 : -1;
}

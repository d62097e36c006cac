/* A test enclave program in plain C, as an enclave would run it: an AF_VSOCK server, socket names
 * and options, non-blocking connect, fork, and NSM calls; no nitro-emu code. Prints "key value"
 * lines on stdout for the JUnit tests (and timed loops for bench/).
 *
 *   serve PORT COUNT       bind/listen on PORT, print "listening", accept COUNT connections (all
 *                          before answering any), echo one message on each
 *   serve-poll PORT        non-blocking listener: accept4 before a connection, epoll_wait,
 *                          accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC, echo with poll
 *   serve-threads PORT     two threads block in accept on one listener at once, each echoes once
 *   serve-nsm PORT         a second thread blocks in accept while the main thread calls the NSM
 *   names PORT             the local CID from /dev/vsock, socket names and AF_VSOCK options;
 *                          connects to the parent's 3:PORT
 *   nonblock-echo PORT TEXT non-blocking connect + poll + SO_ERROR, then an echo
 *   fork-echo PORT TEXT    connect, then a forked child echoes through the inherited (dup'ed) fd
 *   nsm-loop COUNT         COUNT attestations with a nonce; prints "nanos N"
 *   echo-loop PORT COUNT   COUNT 64-byte round trips with the parent's 3:PORT; prints "nanos N"
 *   pair-loop COUNT        the same over a Unix socket pair with a forked echo child
 *   echo-serve-unix PATH   (the parent side for echo-loop, run without the supervisor) a Unix
 *                          listener at PATH whose forked children echo until EOF; runs until killed */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NSM_IOCTL_RAW 0xC0200A00u
#define WAIT_MS 30000
struct nsm_raw { uint64_t request_addr, request_len, response_addr, response_len; };
static const uint8_t DESCRIBE_NSM[] = {0x6b, 'D', 'e', 's', 'c', 'r', 'i', 'b', 'e', 'N', 'S', 'M'};

static const char *name(int error) { return error ? strerrorname_np(error) : "OK"; }
static int fail(const char *what) { printf("%s %s\n", what, name(errno)); return 1; }

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void print_name(const char *label, int fd, int peer) {
  struct sockaddr_vm vm = {0};
  socklen_t len = sizeof vm;
  int rc = peer ? getpeername(fd, (struct sockaddr *)&vm, &len) : getsockname(fd, (struct sockaddr *)&vm, &len);
  if (rc < 0) printf("%s %s\n", label, name(errno));
  else printf("%s family=%d len=%u %u:%u\n", label, vm.svm_family, len, vm.svm_cid, vm.svm_port);
}

static int listener(unsigned port, int flags) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | flags, 0);
  struct sockaddr_vm any = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port};
  if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof any) < 0 || listen(fd, 16) < 0) return -1;
  return fd;
}

static int wait_for(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  return poll(&p, 1, WAIT_MS) == 1 && (p.revents & events) ? 0 : -1;
}

/* Reads one message and writes it back; 0 when something came. */
static int echo_back(int fd) {
  char buffer[256];
  ssize_t n;
  do n = read(fd, buffer, sizeof buffer); while (n < 0 && errno == EAGAIN && wait_for(fd, POLLIN) == 0);
  return n > 0 && write(fd, buffer, (size_t)n) == n ? 0 : -1;
}

static int serve(unsigned port, int count) {
  int fd = listener(port, 0), accepted[8];
  if (fd < 0 || count > 8) return fail("listen");
  print_name("listener-name", fd, 0);
  printf("listening\n");
  for (int i = 0; i < count; i++) {
    struct sockaddr_vm peer = {0};
    socklen_t len = sizeof peer;
    if ((accepted[i] = accept(fd, (struct sockaddr *)&peer, &len)) < 0) return fail("accept");
    printf("accepted-%d family=%d len=%u %u:%u\n", i, peer.svm_family, len, peer.svm_cid, peer.svm_port);
    print_name(i == 0 ? "accepted-local" : "accepted-local-1", accepted[i], 0);
    print_name(i == 0 ? "accepted-peer" : "accepted-peer-1", accepted[i], 1);
  }
  for (int i = 0; i < count; i++) {
    printf("echoed-%d %s\n", i, echo_back(accepted[i]) == 0 ? "OK" : name(errno));
    close(accepted[i]);
  }
  return 0;
}

static int serve_poll(unsigned port) {
  int fd = listener(port, SOCK_NONBLOCK);
  if (fd < 0) return fail("listen");
  printf("first-accept %s\n", name(accept4(fd, NULL, NULL, 0) < 0 ? errno : 0));
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
  if (epoll < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) < 0) return fail("epoll");
  printf("listening\n");
  if (epoll_wait(epoll, &event, 1, WAIT_MS) != 1 || event.data.fd != fd) return fail("epoll_wait");
  int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c < 0) return fail("accept4");
  printf("accepted-nonblock %s\n", fcntl(c, F_GETFL) & O_NONBLOCK ? "yes" : "no");
  printf("accepted-cloexec %s\n", fcntl(c, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
  printf("echoed %s\n", echo_back(c) == 0 ? "OK" : name(errno));
  close(c);
  return 0;
}

static int nsm_describe(int nsm) {
  static uint8_t response[0x3000];
  struct nsm_raw raw = {(uintptr_t)DESCRIBE_NSM, sizeof DESCRIBE_NSM, (uintptr_t)response, sizeof response};
  return ioctl(nsm, NSM_IOCTL_RAW, &raw) < 0 || raw.response_len == 0 ? -1 : 0;
}

struct accept_args { int fd, result; };
static void *accept_thread(void *arg) {
  struct accept_args *a = arg;
  int c = accept(a->fd, NULL, NULL);
  a->result = c < 0 ? -1 : echo_back(c);
  if (c >= 0) close(c);
  return NULL;
}

static int serve_threads(unsigned port) {
  int fd = listener(port, 0);
  struct accept_args args[2] = {{fd, -1}, {fd, -1}};
  pthread_t threads[2];
  if (fd < 0) return fail("listen");
  for (int i = 0; i < 2; i++) if (pthread_create(&threads[i], NULL, accept_thread, &args[i]) != 0) return fail("thread");
  usleep(200 * 1000); /* let both threads block in accept */
  printf("listening\n");
  for (int i = 0; i < 2; i++) {
    pthread_join(threads[i], NULL);
    printf("thread-%d %s\n", i, args[i].result == 0 ? "OK" : "failed");
  }
  return 0;
}

static int serve_nsm(unsigned port) {
  struct accept_args args = {listener(port, 0), -1};
  int nsm = open("/dev/nsm", O_RDWR | O_CLOEXEC);
  pthread_t thread;
  if (args.fd < 0 || nsm < 0 || pthread_create(&thread, NULL, accept_thread, &args) != 0) return fail("setup");
  usleep(200 * 1000); /* let the thread block in accept */
  int calls = 0;
  for (int i = 0; i < 20; i++) calls += nsm_describe(nsm) == 0;
  printf("nsm-while-accepting %d\n", calls);
  printf("listening\n");
  pthread_join(thread, NULL);
  printf("echoed %s\n", args.result == 0 ? "OK" : "failed");
  return 0;
}

static int names(unsigned port) {
  unsigned int local_cid = 0;
  int device = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
  int rc = device < 0 ? -1 : ioctl(device, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &local_cid);
  printf("local-cid %s %u\n", name(rc < 0 ? errno : 0), local_cid);
  printf("vsock-device-other-ioctl %s\n", name(ioctl(device, 0x7ba, &local_cid) < 0 ? errno : 0));
  close(device);
  int fresh = socket(AF_VSOCK, SOCK_STREAM, 0);
  print_name("fresh-local", fresh, 0);
  print_name("fresh-peer", fresh, 1);
  uint64_t size = 0;
  socklen_t len = sizeof size;
  rc = getsockopt(fresh, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &size, &len);
  printf("buffer-size %s %llu\n", name(rc ? errno : 0), (unsigned long long)size);
  len = sizeof size;
  getsockopt(fresh, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MIN_SIZE, &size, &len);
  printf("buffer-min %llu\n", (unsigned long long)size);
  len = sizeof size;
  getsockopt(fresh, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &size, &len);
  printf("buffer-max %llu\n", (unsigned long long)size);
  size = 65536;
  setsockopt(fresh, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &size, sizeof size);
  len = sizeof size;
  getsockopt(fresh, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &size, &len);
  printf("buffer-size-set %llu len=%u\n", (unsigned long long)size, len);
  struct timeval timeout = {5, 0};
  setsockopt(fresh, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &timeout, sizeof timeout);
  len = sizeof timeout;
  getsockopt(fresh, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &timeout, &len);
  printf("connect-timeout %ld\n", (long)timeout.tv_sec);
  int value = 1;
  printf("unknown-option %s\n", name(setsockopt(fresh, AF_VSOCK, 99, &value, sizeof value) ? errno : 0));
  len = sizeof value;
  printf("short-optlen %s\n", name(getsockopt(fresh, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &value, &len) ? errno : 0));
  len = sizeof value;
  printf("so-rcvbuf %s\n", name(getsockopt(fresh, SOL_SOCKET, SO_RCVBUF, &value, &len) || value <= 0 ? EINVAL : 0));
  struct sockaddr_vm vm = {.svm_family = AF_VSOCK, .svm_cid = 7, .svm_port = 6000};
  printf("bind-other-cid %s\n", name(bind(fresh, (struct sockaddr *)&vm, sizeof vm) ? errno : 0));
  vm.svm_cid = VMADDR_CID_ANY;
  vm.svm_port = VMADDR_PORT_ANY;
  printf("bind-any-port %s\n", name(bind(fresh, (struct sockaddr *)&vm, sizeof vm) ? errno : 0));
  print_name("bound-local", fresh, 0);
  printf("bind-twice %s\n", name(bind(fresh, (struct sockaddr *)&vm, sizeof vm) ? errno : 0));
  struct sockaddr_vm taken;
  len = sizeof taken;
  getsockname(fresh, (struct sockaddr *)&taken, &len);
  int other = socket(AF_VSOCK, SOCK_STREAM, 0);
  printf("bind-taken %s\n", name(bind(other, (struct sockaddr *)&taken, sizeof taken) ? errno : 0));
  printf("listen-unbound %s\n", name(listen(other, 1) ? errno : 0));
  int client = socket(AF_VSOCK, SOCK_STREAM, 0);
  struct sockaddr_vm parent = {.svm_family = AF_VSOCK, .svm_cid = 3, .svm_port = port};
  if (connect(client, (struct sockaddr *)&parent, sizeof parent) < 0) return fail("connect");
  print_name("client-local", client, 0);
  print_name("client-peer", client, 1);
  return 0;
}

static int nonblock_echo(unsigned port, const char *text) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_vm parent = {.svm_family = AF_VSOCK, .svm_cid = 3, .svm_port = port};
  int rc = connect(fd, (struct sockaddr *)&parent, sizeof parent);
  printf("connect %s\n", rc == 0 || errno == EINPROGRESS ? "started" : name(errno));
  if (wait_for(fd, POLLOUT) < 0) return fail("poll-out");
  int error = -1;
  socklen_t len = sizeof error;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  printf("so-error %s\n", name(error));
  char reply[256] = {0};
  if (write(fd, text, strlen(text)) < 0 || wait_for(fd, POLLIN) < 0 || read(fd, reply, sizeof reply - 1) <= 0) {
    return fail("echo");
  }
  printf("echo %s\n", reply);
  return 0;
}

static int fork_echo(unsigned port, const char *text) {
  int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
  struct sockaddr_vm parent = {.svm_family = AF_VSOCK, .svm_cid = 3, .svm_port = port};
  if (connect(fd, (struct sockaddr *)&parent, sizeof parent) < 0) return fail("connect");
  pid_t child = fork();
  if (child == 0) {
    int copy = dup(fd);
    close(fd);
    char reply[256] = {0};
    print_name("child-peer", copy, 1);
    if (write(copy, text, strlen(text)) < 0 || read(copy, reply, sizeof reply - 1) <= 0) _exit(1);
    printf("child-echo %s\n", reply);
    _exit(0);
  }
  close(fd);
  int status;
  waitpid(child, &status, 0);
  printf("child-exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}

static int nsm_loop(int count) {
  static uint8_t response[0x3000];
  static const uint8_t attest[] = {0xa1, 0x6b, 'A', 't', 't', 'e', 's', 't', 'a', 't', 'i', 'o', 'n', 0xa3, 0x69, 'u',
      's', 'e', 'r', '_', 'd', 'a', 't', 'a', 0xf6, 0x65, 'n', 'o', 'n', 'c', 'e', 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9,
      10, 11, 12, 13, 14, 15, 16, 0x6a, 'p', 'u', 'b', 'l', 'i', 'c', '_', 'k', 'e', 'y', 0xf6};
  int nsm = open("/dev/nsm", O_RDWR | O_CLOEXEC);
  if (nsm < 0) return fail("open");
  long long start = now_ns();
  struct nsm_raw raw = {0};
  for (int i = 0; i < count; i++) {
    raw = (struct nsm_raw){(uintptr_t)attest, sizeof attest, (uintptr_t)response, sizeof response};
    if (ioctl(nsm, NSM_IOCTL_RAW, &raw) < 0) return fail("ioctl");
  }
  printf("nanos %lld\n", now_ns() - start);
  /* {"Attestation": {"document": ...}}: a map whose first key is "Attestation", not "Error" */
  printf("last-response %s %llu bytes\n", raw.response_len > 13 && memcmp(response + 2, "Attestation", 11) == 0 ?
         "Attestation" : "other", (unsigned long long)raw.response_len);
  return 0;
}

static int round_trips(int fd, int count) {
  char message[64] = {0};
  long long start = now_ns();
  for (int i = 0; i < count; i++) {
    size_t got = 0;
    if (write(fd, message, sizeof message) != (ssize_t)sizeof message) return fail("write");
    while (got < sizeof message) {
      ssize_t n = read(fd, message + got, sizeof message - got);
      if (n <= 0) return fail("read");
      got += (size_t)n;
    }
  }
  printf("nanos %lld\n", now_ns() - start);
  return 0;
}

static int echo_loop(unsigned port, int count) {
  int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
  struct sockaddr_vm parent = {.svm_family = AF_VSOCK, .svm_cid = 3, .svm_port = port};
  if (connect(fd, (struct sockaddr *)&parent, sizeof parent) < 0) return fail("connect");
  return round_trips(fd, count);
}

static void echo_until_eof(int fd) {
  char buffer[256];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) if (write(fd, buffer, (size_t)n) != n) break;
  _exit(0);
}

static int pair_loop(int count) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) return fail("socketpair");
  if (fork() == 0) {
    close(pair[0]);
    echo_until_eof(pair[1]);
  }
  close(pair[1]);
  int rc = round_trips(pair[0], count);
  close(pair[0]);
  wait(NULL);
  return rc;
}

static int echo_serve_unix(const char *path) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (strlen(path) >= sizeof address.sun_path) return fail("path");
  strcpy(address.sun_path, path);
  signal(SIGCHLD, SIG_IGN);
  if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 16) < 0) return fail("listen");
  printf("listening\n");
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0) continue;
    if (fork() == 0) echo_until_eof(c);
    close(c);
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *c = argc > 1 ? argv[1] : "";
  unsigned port = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
  if (argc == 4 && strcmp(c, "serve") == 0) return serve(port, atoi(argv[3]));
  if (argc == 3 && strcmp(c, "serve-poll") == 0) return serve_poll(port);
  if (argc == 3 && strcmp(c, "serve-nsm") == 0) return serve_nsm(port);
  if (argc == 3 && strcmp(c, "serve-threads") == 0) return serve_threads(port);
  if (argc == 3 && strcmp(c, "names") == 0) return names(port);
  if (argc == 4 && strcmp(c, "nonblock-echo") == 0) return nonblock_echo(port, argv[3]);
  if (argc == 4 && strcmp(c, "fork-echo") == 0) return fork_echo(port, argv[3]);
  if (argc == 3 && strcmp(c, "nsm-loop") == 0) return nsm_loop(atoi(argv[2]));
  if (argc == 4 && strcmp(c, "echo-loop") == 0) return echo_loop(port, atoi(argv[3]));
  if (argc == 3 && strcmp(c, "pair-loop") == 0) return pair_loop(atoi(argv[2]));
  if (argc == 3 && strcmp(c, "echo-serve-unix") == 0) return echo_serve_unix(argv[2]);
  fprintf(stderr, "usage: vsock-server-probe serve|serve-poll|serve-threads|serve-nsm|names|nonblock-echo|fork-echo|nsm-loop|"
                  "echo-loop|pair-loop|echo-serve-unix ...\n");
  return 2;
}

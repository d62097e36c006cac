/* nitro-emu-init: runs COMMAND under a seccomp user-notification filter that emulates /dev/nsm and
 * AF_VSOCK stream sockets over a hybrid vsock directory (see README.md of enclave-supervisor).
 *
 * Usage: nitro-emu-init [--vsock-dir DIR] [--base NAME] [--nsm-port PORT] [--cid N] [--no-heartbeat]
 *                       [--] COMMAND [ARGS...]
 * Exit status: COMMAND's (128+N when killed by signal N), 125 when the supervisor cannot start,
 * 126 when COMMAND cannot be run, 127 when it is not found. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preflight.h"
#include "supervisor.h"

#if defined(__x86_64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_AARCH64
#else
#error "nitro-emu-init supports x86_64 and aarch64"
#endif

#define EXIT_SUPERVISOR 125
#define ARG0_LOW offsetof(struct seccomp_data, args[0]) /* little-endian: the int is the low word */
#define ARG1_LOW offsetof(struct seccomp_data, args[1])
#define TRAP(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)

static void die(const char *what) {
  fprintf(stderr, "nitro-emu-init: %s: %s\n", what, strerror(errno));
  exit(EXIT_SUPERVISOR);
}

/* Traps open/openat/openat2 (for /dev/nsm), every ioctl (to tell the NSM fd apart), the socket calls
 * that take or give a vsock address, setsockopt/getsockopt only at level AF_VSOCK, and socket only
 * for family AF_VSOCK. Other ABIs (x32, 32-bit compat) pass untrapped. */
static int install_filter(void) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_SELF, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef SYS_open
      TRAP(SYS_open),
#endif
      TRAP(SYS_openat),
      TRAP(SYS_openat2),
      TRAP(SYS_ioctl),
      TRAP(SYS_connect),
      TRAP(SYS_bind),
      TRAP(SYS_listen),
#ifdef SYS_accept
      TRAP(SYS_accept),
#endif
      TRAP(SYS_accept4),
      TRAP(SYS_getsockname),
      TRAP(SYS_getpeername),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setsockopt, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getsockopt, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1_LOW),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LOW),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {.len = sizeof code / sizeof code[0], .filter = code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
}

static void send_fd(int channel, int fd) {
  char byte = fd >= 0 ? 'F' : 'E';
  char control[CMSG_SPACE(sizeof(int))] = {0};
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  sendmsg(channel, &msg, MSG_NOSIGNAL);
}

/* The listener fd from the child, or -1 if the child could not install the filter (or died). */
static int receive_fd(int channel) {
  char byte, control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  if (recvmsg(channel, &msg, MSG_CMSG_CLOEXEC) != 1 || byte != 'F') return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static void run_child(int channel, const sigset_t *saved_mask, char **command) {
  sigprocmask(SIG_SETMASK, saved_mask, NULL);
  int listener = install_filter();
  if (listener < 0) {
    fprintf(stderr, "nitro-emu-init: seccomp user notification unavailable (kernel >= 5.9 needed): %s\n", strerror(errno));
    send_fd(channel, -1);
    _exit(EXIT_SUPERVISOR);
  }
  send_fd(channel, listener);
  close(listener);
  close(channel);
  execvp(command[0], command);
  int error = errno;
  fprintf(stderr, "nitro-emu-init: %s: %s\n", command[0], strerror(error));
  _exit(error == ENOENT ? 127 : 126);
}

static int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int watch_add(struct supervisor *s, struct watch *w, uint32_t events) {
  struct epoll_event event = {.events = events, .data.ptr = w};
  return epoll_ctl(s->epoll, EPOLL_CTL_ADD, w->fd, &event);
}

void watch_remove(struct supervisor *s, struct watch *w) {
  epoll_ctl(s->epoll, EPOLL_CTL_DEL, w->fd, NULL);
}

/* Serves notifications, the parent's connections (servers.c) and forwards signals until COMMAND
 * exits; reaps every child (PID 1 duty). A blocking accept never blocks this loop: it is parked. */
static int supervise(struct supervisor *s, int signals, pid_t child) {
  struct watch signal_watch = {signals, NULL}, notify_watch = {s->listener, NULL};
  if (watch_add(s, &signal_watch, EPOLLIN) < 0 || watch_add(s, &notify_watch, EPOLLIN) < 0) die("epoll_ctl");
  for (;;) {
    struct epoll_event events[16];
    int n = epoll_wait(s->epoll, events, 16, servers_tick(s));
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int k = 0; k < n; k++) {
      struct watch *w = events[k].data.ptr;
      if (w == &signal_watch) {
        struct signalfd_siginfo info;
        if (read(signals, &info, sizeof info) == sizeof info && info.ssi_signo != SIGCHLD) {
          kill(child, (int)info.ssi_signo);
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
          if (pid == child) return exit_code(status);
        }
      } else if (w == &notify_watch) {
        if (events[k].events & EPOLLIN) {
          struct seccomp_notif req;
          memset(&req, 0, sizeof req);
          if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) handle_notification(s, &req);
        } else {
          watch_remove(s, w); /* no task left under the filter; wait for the exit status */
        }
      } else if (w->fd >= 0) {
        w->ready(s, w, events[k].events);
      }
    }
  }
}

static int open_nsm_file(struct supervisor *s) {
  int fd = memfd_create("nitro-emu-nsm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  struct stat st;
  if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0 || fstat(fd, &st) < 0) {
    return -1;
  }
  s->nsm_file = fd;
  s->nsm_dev = st.st_dev;
  s->nsm_ino = st.st_ino;
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: nitro-emu-init [--vsock-dir DIR] [--base NAME] [--nsm-port PORT] [--cid N] [--no-heartbeat]\n"
                  "                      [--] COMMAND [ARGS...]\n"
                  "  DIR defaults to $NITRO_VSOCK_DIR; NAME to vsock; PORT to 9797; N (the enclave's CID) to\n"
                  "  $NITRO_ENCLAVE_CID or 16; --no-heartbeat skips the 0xB7 heartbeat to 3:9000\n");
  exit(EXIT_SUPERVISOR);
}

int main(int argc, char **argv) {
  const char *cid = getenv("NITRO_ENCLAVE_CID");
  struct supervisor s = {.nsm_connection = -1, .vsock_dir = getenv("NITRO_VSOCK_DIR"), .base_name = "vsock", .nsm_port = 9797,
                         .multiplexer = -1, .self = getpid()};
  int i = 1, beat = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (strcmp(argv[i], "--no-heartbeat") == 0) {
      beat = 0;
      continue;
    }
    if (i + 1 >= argc) usage();
    if (strcmp(argv[i], "--vsock-dir") == 0) s.vsock_dir = argv[++i];
    else if (strcmp(argv[i], "--base") == 0) s.base_name = argv[++i];
    else if (strcmp(argv[i], "--nsm-port") == 0) s.nsm_port = (uint32_t)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--cid") == 0) cid = argv[++i];
    else usage();
  }
  char *end = NULL;
  unsigned long cid_value = cid && *cid ? strtoul(cid, &end, 10) : 16;
  if ((end && *end) || cid_value < 4 || cid_value > 0xFFFFFFFEul) {
    fprintf(stderr, "nitro-emu-init: the enclave's CID (--cid or NITRO_ENCLAVE_CID) must be 4..4294967294, was '%s'\n", cid);
    return EXIT_SUPERVISOR;
  }
  s.cid = (uint32_t)cid_value;
  if (i >= argc) usage();
  if (!s.vsock_dir || !*s.vsock_dir) {
    fprintf(stderr, "nitro-emu-init: no hybrid vsock directory: give --vsock-dir or set NITRO_VSOCK_DIR\n");
    return EXIT_SUPERVISOR;
  }
  if (vsock_preflight() < 0) return EXIT_VSOCK_DENIED;
  if (open_nsm_file(&s) < 0) die("memfd for /dev/nsm");
  if (beat && heartbeat(&s) < 0) return EXIT_SUPERVISOR;
  if ((s.epoll = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
  sigset_t mask, saved;
  sigemptyset(&mask);
  int forwarded[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t k = 0; k < sizeof forwarded / sizeof forwarded[0]; k++) sigaddset(&mask, forwarded[k]);
  sigprocmask(SIG_BLOCK, &mask, &saved);
  int signals = signalfd(-1, &mask, SFD_CLOEXEC);
  int channel[2];
  if (signals < 0) die("signalfd");
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0) die("socketpair");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) run_child(channel[1], &saved, argv + i);
  close(channel[1]);
  s.listener = receive_fd(channel[0]);
  close(channel[0]);
  if (s.listener < 0) {
    int status;
    waitpid(child, &status, 0);
    return EXIT_SUPERVISOR;
  }
  int status = supervise(&s, signals, child);
  servers_close(&s);
  return status;
}

/* nitro-emu-init: shared declarations of the supervisor (see README.md of enclave-supervisor). */
#ifndef NITRO_EMU_SUPERVISOR_H
#define NITRO_EMU_SUPERVISOR_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* _IOWR(0x0A, 0, struct nsm_raw): the only request the NSM driver knows. */
#define NSM_IOCTL_RAW 0xC0200A00u
/* The driver's bounds: a request buffer of 4 KiB, a device response of at most 12 KiB. */
#define NSM_REQUEST_MAX 0x1000u
#define NSM_RESPONSE_MAX 0x3000u
#define NSM_PATH "/dev/nsm"
/* The parent's CID as an enclave sees it. */
#define PARENT_CID 3u
/* Bound on every wait for the NSM service and for the heartbeat, in seconds. */
#define IO_TIMEOUT_SECONDS 10

/* What a handler answers: a value >= 0, a negative errno, or one of these two. */
#define RESULT_CONTINUE (-100000L) /* let the kernel run the syscall as the app issued it */
#define RESULT_DONE (-100001L)     /* already answered (ADDFD with SEND), parked, or the app is gone */

/* struct nsm_raw of <linux/nsm.h>: two iovecs, u64 fields, little-endian on x86_64 and aarch64. */
struct nsm_raw {
  uint64_t request_addr;
  uint64_t request_len;
  uint64_t response_addr;
  uint64_t response_len;
};

struct supervisor;
/* One fd in the supervisor's epoll set; ready() runs when it has events. */
struct watch {
  int fd;
  void (*ready)(struct supervisor *s, struct watch *w, uint32_t events);
};

struct supervisor {
  int listener;           /* the seccomp notification fd */
  int epoll;              /* the event loop (main.c) */
  int nsm_file;           /* memfd injected for every open of /dev/nsm */
  dev_t nsm_dev;          /* identity of nsm_file, to recognise it behind any fd number */
  ino_t nsm_ino;
  int nsm_connection;     /* connection to the NSM service, -1 when closed */
  const char *vsock_dir;  /* the hybrid vsock directory */
  const char *base_name;  /* socket files are <vsock_dir>/<base_name>_<port> */
  uint32_t nsm_port;      /* the NSM service's vsock port on the parent */
  uint32_t cid;           /* the enclave's own CID, as getsockname shows it */
  int multiplexer;        /* listening on <vsock_dir>/<base_name> once the app listens, else -1 */
  pid_t self;             /* the supervisor's pid: names its private listener sockets */
};

/* Answers one notification (handlers.c). */
void handle_notification(struct supervisor *s, const struct seccomp_notif *req);

/* App memory (nsm.c): 0 on success, -1 when any byte is not accessible. */
int app_read(pid_t pid, uint64_t addr, void *buf, size_t len);
int app_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

/* Answers the NSM ioctl of the app (nsm.c): 0 or a negative errno. */
long nsm_ioctl(struct supervisor *s, const struct seccomp_notif *req);

/* Fills <vsock_dir>/<base_name>_<port> into sun_path; -1 if it does not fit. */
int port_socket_path(const struct supervisor *s, uint32_t port, char *path, size_t size);

/* True while the notification's syscall still waits for an answer (its task is alive). */
int notification_valid(const struct supervisor *s, uint64_t id);

/* Adds or removes a watch in the event loop (main.c); 0 or -1. */
int watch_add(struct supervisor *s, struct watch *w, uint32_t events);
void watch_remove(struct supervisor *s, struct watch *w);

/* Answers a notification: a value >= 0 or a negative errno (handlers.c). */
void answer(const struct supervisor *s, uint64_t id, long result);
/* Installs srcfd in the app as the syscall's result, with O_CLOEXEC if cloexec (handlers.c). */
long inject_fd(const struct supervisor *s, const struct seccomp_notif *req, int srcfd, int cloexec);
/* A copy of fd of the thread tid's process (pidfd_getfd), or -1. */
int grab_fd(pid_t tid, int fd);

/* What an emulated vsock socket is (vsock.c). */
enum vsock_kind { VSOCK_NONE, VSOCK_FRESH, VSOCK_BOUND, VSOCK_CONNECTED, VSOCK_ACCEPTED };
struct vsock_socket {
  enum vsock_kind kind;
  int listening;          /* VSOCK_BOUND: the app called listen */
  uint32_t local_cid, local_port, peer_port;
};
/* Remembers a socket the supervisor created for socket(AF_VSOCK) or accepted for the app. */
void vsock_remember(int fd, uint32_t local_port, uint32_t peer_port, int accepted);
/* Which emulated vsock socket the supervisor's copy fd is (VSOCK_NONE: another socket or file). */
struct vsock_socket vsock_identify(const struct supervisor *s, int fd);
/* Binds the copy fd to vsock port (VMADDR_PORT_ANY: a free one): 0 or a negative errno. */
long vsock_bind_port(const struct supervisor *s, int fd, uint32_t port, uint32_t cid);
/* The supervisor's private abstract Unix address of vsock port; returns its length. */
socklen_t vsock_private_address(const struct supervisor *s, uint32_t port, void *sockaddr_un);
/* The socket's SO_VM_SOCKETS_CONNECT_TIMEOUT (default 2 s, as the kernel's). */
struct timeval;
void vsock_connect_timeout(int fd, struct timeval *timeout);
/* A local port for a connecting socket, remembered for getsockname. */
void vsock_connected(int fd, uint32_t peer_port);

/* The syscalls on emulated vsock sockets (vsock.c, servers.c). */
long on_bind(struct supervisor *s, const struct seccomp_notif *req);
long on_listen(struct supervisor *s, const struct seccomp_notif *req);
long on_accept(struct supervisor *s, const struct seccomp_notif *req, int flags);
long on_sockname(struct supervisor *s, const struct seccomp_notif *req, int peer);
long on_sockopt(struct supervisor *s, const struct seccomp_notif *req, int set);

/* Starts serving <vsock_dir>/<base_name> for the parent's connections (once): 0 or a negative errno. */
long servers_multiplexer(struct supervisor *s);
/* Writes a sockaddr_vm to the app's (addr, addrlen) as the kernel does: 0 or a negative errno. */
long write_vsock_address(pid_t pid, uint64_t addr, uint64_t addrlen, uint32_t cid, uint32_t port);

/* Periodic work of servers.c (handshake deadlines, parked accepts gone); returns the next wait in ms
 * (-1: nothing to do). */
int servers_tick(struct supervisor *s);
/* Removes the multiplexer's socket file (at exit). */
void servers_close(struct supervisor *s);

/* The 0xB7 heartbeat to 3:9000 that AWS's init sends before starting the app: 0 or -1 (printed). */
int heartbeat(const struct supervisor *s);

#endif

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
/* Bound on every wait for the NSM service and on a blocking vsock connect, in seconds. */
#define IO_TIMEOUT_SECONDS 10

/* What a handler answers: a value >= 0, a negative errno, or one of these two. */
#define RESULT_CONTINUE (-100000L) /* let the kernel run the syscall as the app issued it */
#define RESULT_DONE (-100001L)     /* already answered (ADDFD with SEND) or the app is gone */

/* struct nsm_raw of <linux/nsm.h>: two iovecs, u64 fields, little-endian on x86_64 and aarch64. */
struct nsm_raw {
  uint64_t request_addr;
  uint64_t request_len;
  uint64_t response_addr;
  uint64_t response_len;
};

struct supervisor {
  int listener;           /* the seccomp notification fd */
  int nsm_file;           /* memfd injected for every open of /dev/nsm */
  dev_t nsm_dev;          /* identity of nsm_file, to recognise it behind any fd number */
  ino_t nsm_ino;
  int nsm_connection;     /* connection to the NSM service, -1 when closed */
  const char *vsock_dir;  /* the hybrid vsock directory */
  const char *base_name;  /* socket files are <vsock_dir>/<base_name>_<port> */
  uint32_t nsm_port;      /* the NSM service's vsock port on the parent */
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

#endif

/* nitro-emu-init: the AF_VSOCK preflight (see README.md of enclave-supervisor).
 *
 * Seccomp filters stack and the kernel applies the most restrictive answer: when the container's own
 * profile answers socket(AF_VSOCK) with an errno (upstream Docker's default profile does since moby
 * PR 44562, Dec 2022), the supervisor's user-notification filter never sees the call and every vsock socket of the
 * app fails with EPERM. One socket(AF_VSOCK) before the filter is installed tells that case apart
 * from a host without vsock (EAFNOSUPPORT, harmless: the supervisor never needs the real family). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preflight.h"

int vsock_preflight(void) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  if (errno != EPERM && errno != EACCES) return 0;
  fprintf(stderr,
          "nitro-emu-init: socket(AF_VSOCK) is denied (%s) by the container's seccomp profile or security "
          "module, before nitro-emu-init can emulate it (upstream Docker's default profile denies AF_VSOCK, "
          "moby PR 44562): run the container with nitro-emu's seccomp profile (EnclaveContainer does) or "
          "--security-opt seccomp=unconfined\n",
          strerrorname_np(errno));
  return -1;
}

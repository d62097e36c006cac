/* nitro-emu-init: checks the container lets the supervisor emulate AF_VSOCK (see README.md). */
#ifndef NITRO_EMU_PREFLIGHT_H
#define NITRO_EMU_PREFLIGHT_H

/* Exit status when socket(AF_VSOCK) is denied before the supervisor's filter could see it. */
#define EXIT_VSOCK_DENIED 123

/* 0 when socket(AF_VSOCK, SOCK_STREAM, 0) is not refused by a policy; else prints one line naming the
 * cause on stderr and returns -1. */
int vsock_preflight(void);

#endif

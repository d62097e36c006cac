package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.NsmDispatcher;

/**
 * The Nitro Security Module as an enclave application sees it: the seven operations of {@code
 * /dev/nsm}, and the raw CBOR request/response entry point.
 *
 * <p>Implementations: SoftwareNsm (the emulator), DeviceNsm (the real device through {@code
 * /dev/nsm}) and {@link WireNsm} subclasses that reach a module over some byte transport. Every
 * operation fails with an {@link NsmException} carrying the module's {@link ErrorCode}.
 */
public interface Nsm extends AutoCloseable {

  /** Number of PCRs of a real module. */
  int MAX_PCRS = 32;

  /** Largest request the driver accepts, in bytes ({@code NSM_REQUEST_MAX_SIZE}). */
  int MAX_REQUEST_SIZE = 0x1000;

  /** Size of the driver's response buffer, in bytes ({@code NSM_RESPONSE_MAX_SIZE}). */
  int MAX_RESPONSE_SIZE = 0x3000;

  /** Reads a PCR and its lock state; {@link ErrorCode#INVALID_INDEX} for an index {@code >= 32}. */
  PcrDescription describePcr(int index);

  /**
   * Extends a PCR: {@code PCR := SHA384(PCR || data)}, returning the new value. Locked PCRs give
   * {@link ErrorCode#READ_ONLY_INDEX}.
   */
  byte[] extendPcr(int index, byte[] data);

  /**
   * Locks one PCR; locked ones (including 0..15 after boot) give {@link ErrorCode#READ_ONLY_INDEX}.
   */
  void lockPcr(int index);

  /** Locks PCRs {@code [0, range)}; {@code range > 32} gives {@link ErrorCode#INVALID_INDEX}. */
  void lockPcrs(int range);

  /** Describes the module: version, module id, PCR count, locked set and digest. */
  NsmDescription describeNsm();

  /**
   * Produces a signed attestation document (COSE_Sign1 bytes). Each argument may be null; the
   * document carries them verbatim.
   */
  byte[] attestation(byte[] userData, byte[] nonce, byte[] publicKey);

  /** Returns fresh random bytes (256 on real hardware). */
  byte[] getRandom();

  /**
   * Handles one raw request exactly as {@code /dev/nsm} would: CBOR request bytes in, CBOR response
   * bytes out. Malformed or oversized requests get an {@code Error} response, never an exception;
   * only a failing transport (a driver errno, a lost connection) throws {@link NsmException}.
   */
  default byte[] process(byte[] request) {
    return NsmDispatcher.process(this, request);
  }

  /** Releases the module (closes the device or connection); idempotent. */
  @Override
  default void close() {}
}

package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.PcrDescription;

/**
 * Serves raw {@code /dev/nsm} requests with the typed operations of an {@link Nsm}: decode, call,
 * encode. Every failure becomes an {@code Error} response; nothing escapes to the caller.
 */
public final class NsmDispatcher {
  private NsmDispatcher() {}

  /** Handles one request; never throws. */
  public static byte[] process(Nsm nsm, byte[] request) {
    NsmResponse response;
    try {
      response = handle(nsm, NsmCodec.decodeRequest(request));
    } catch (NsmException e) {
      response = new NsmResponse.Error(e.code());
    } catch (RuntimeException e) {
      response = new NsmResponse.Error(ErrorCode.INTERNAL_ERROR);
    }
    byte[] encoded = NsmCodec.encodeResponse(response);
    if (encoded.length > Nsm.MAX_RESPONSE_SIZE) {
      return NsmCodec.encodeResponse(new NsmResponse.Error(ErrorCode.INTERNAL_ERROR));
    }
    return encoded;
  }

  /** Calls the typed operation that a request names. */
  public static NsmResponse handle(Nsm nsm, NsmRequest request) {
    if (request instanceof NsmRequest.DescribePcr r) {
      PcrDescription d = nsm.describePcr(r.index());
      return new NsmResponse.DescribePcr(d.locked(), d.data());
    } else if (request instanceof NsmRequest.ExtendPcr r) {
      return new NsmResponse.ExtendPcr(nsm.extendPcr(r.index(), r.data()));
    } else if (request instanceof NsmRequest.LockPcr r) {
      nsm.lockPcr(r.index());
      return new NsmResponse.LockPcr();
    } else if (request instanceof NsmRequest.LockPcrs r) {
      nsm.lockPcrs(r.range());
      return new NsmResponse.LockPcrs();
    } else if (request instanceof NsmRequest.DescribeNsm) {
      return new NsmResponse.DescribeNsm(nsm.describeNsm());
    } else if (request instanceof NsmRequest.Attestation r) {
      return new NsmResponse.Attestation(nsm.attestation(r.userData(), r.nonce(), r.publicKey()));
    } else if (request instanceof NsmRequest.GetRandom) {
      return new NsmResponse.GetRandom(nsm.getRandom());
    }
    throw new NsmException(
        ErrorCode.INVALID_OPERATION, "unsupported request " + request.operation());
  }
}

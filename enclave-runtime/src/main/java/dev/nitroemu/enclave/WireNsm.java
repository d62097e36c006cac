package dev.nitroemu.enclave;

/**
 * An {@link Nsm} reached through raw {@code /dev/nsm} messages: each typed call is encoded with
 * {@link NsmCodec}, sent through {@link #process(byte[])}, and its response decoded. Subclasses
 * supply the transport (the device ioctl, a vsock connection, ...).
 */
public abstract class WireNsm implements Nsm {

  /** Sends one encoded request and returns the encoded response. */
  @Override
  public abstract byte[] process(byte[] request);

  @Override
  public PcrDescription describePcr(int index) {
    NsmResponse.DescribePcr r =
        call(new NsmRequest.DescribePcr(index), NsmResponse.DescribePcr.class);
    return new PcrDescription(r.lock(), r.data());
  }

  @Override
  public byte[] extendPcr(int index, byte[] data) {
    return call(new NsmRequest.ExtendPcr(index, data), NsmResponse.ExtendPcr.class).data();
  }

  @Override
  public void lockPcr(int index) {
    call(new NsmRequest.LockPcr(index), NsmResponse.LockPcr.class);
  }

  @Override
  public void lockPcrs(int range) {
    call(new NsmRequest.LockPcrs(range), NsmResponse.LockPcrs.class);
  }

  @Override
  public NsmDescription describeNsm() {
    return call(new NsmRequest.DescribeNsm(), NsmResponse.DescribeNsm.class).description();
  }

  @Override
  public byte[] attestation(byte[] userData, byte[] nonce, byte[] publicKey) {
    return call(
            new NsmRequest.Attestation(userData, nonce, publicKey), NsmResponse.Attestation.class)
        .document();
  }

  @Override
  public byte[] getRandom() {
    return call(new NsmRequest.GetRandom(), NsmResponse.GetRandom.class).random();
  }

  /**
   * Sends a request and expects a response of the given variant; an {@code Error} response becomes
   * an {@link NsmException} with its code, any other variant {@link ErrorCode#INVALID_RESPONSE}.
   */
  protected <T extends NsmResponse> T call(NsmRequest request, Class<T> expected) {
    byte[] encoded = NsmCodec.encodeRequest(request);
    if (encoded.length > MAX_REQUEST_SIZE) {
      throw new NsmException(
          ErrorCode.INPUT_TOO_LARGE, "request of " + encoded.length + " bytes exceeds 4096");
    }
    NsmResponse response = NsmCodec.decodeResponse(process(encoded));
    if (response instanceof NsmResponse.Error error) {
      throw new NsmException(error.code(), request.operation() + " failed");
    }
    if (!expected.isInstance(response)) {
      throw new NsmException(
          ErrorCode.INVALID_RESPONSE,
          request.operation() + " answered with " + response.operation());
    }
    return expected.cast(response);
  }
}

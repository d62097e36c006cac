package dev.nitroemu.enclave;

import java.util.Arrays;

/**
 * One request to the NSM, as the {@code aws-nitro-enclaves-nsm-api} crate's {@code Request} enum
 * models it; {@link NsmCodec} turns it into the exact CBOR bytes written to {@code /dev/nsm}.
 */
public sealed interface NsmRequest {

  /** The operation name on the wire, e.g. {@code "DescribePCR"}. */
  String operation();

  /** Reads one PCR. */
  record DescribePcr(int index) implements NsmRequest {
    @Override
    public String operation() {
      return "DescribePCR";
    }
  }

  /** Extends one PCR with raw data. */
  record ExtendPcr(int index, byte[] data) implements NsmRequest {
    public ExtendPcr {
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public String operation() {
      return "ExtendPCR";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ExtendPcr other
          && index == other.index
          && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
      return 31 * index + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "ExtendPcr[index=" + index + ", data=" + data.length + " bytes]";
    }
  }

  /** Locks one PCR. */
  record LockPcr(int index) implements NsmRequest {
    @Override
    public String operation() {
      return "LockPCR";
    }
  }

  /** Locks PCRs {@code [0, range)}. */
  record LockPcrs(int range) implements NsmRequest {
    @Override
    public String operation() {
      return "LockPCRs";
    }
  }

  /** Describes the module (a unit variant: a bare CBOR text string on the wire). */
  record DescribeNsm() implements NsmRequest {
    @Override
    public String operation() {
      return "DescribeNSM";
    }
  }

  /** Asks for an attestation document; each field may be null. */
  record Attestation(byte[] userData, byte[] nonce, byte[] publicKey) implements NsmRequest {
    public Attestation {
      userData = userData == null ? null : userData.clone();
      nonce = nonce == null ? null : nonce.clone();
      publicKey = publicKey == null ? null : publicKey.clone();
    }

    @Override
    public byte[] userData() {
      return userData == null ? null : userData.clone();
    }

    @Override
    public byte[] nonce() {
      return nonce == null ? null : nonce.clone();
    }

    @Override
    public byte[] publicKey() {
      return publicKey == null ? null : publicKey.clone();
    }

    @Override
    public String operation() {
      return "Attestation";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Attestation other
          && Arrays.equals(userData, other.userData)
          && Arrays.equals(nonce, other.nonce)
          && Arrays.equals(publicKey, other.publicKey);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(
          new int[] {
            Arrays.hashCode(userData), Arrays.hashCode(nonce), Arrays.hashCode(publicKey)
          });
    }

    @Override
    public String toString() {
      return "Attestation[userData="
          + size(userData)
          + ", nonce="
          + size(nonce)
          + ", publicKey="
          + size(publicKey)
          + "]";
    }

    private static String size(byte[] b) {
      return b == null ? "null" : b.length + " bytes";
    }
  }

  /** Asks for random bytes (a unit variant). */
  record GetRandom() implements NsmRequest {
    @Override
    public String operation() {
      return "GetRandom";
    }
  }
}

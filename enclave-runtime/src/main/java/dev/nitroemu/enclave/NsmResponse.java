package dev.nitroemu.enclave;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One response of the NSM, as the {@code aws-nitro-enclaves-nsm-api} crate's {@code Response} enum
 * models it; {@link NsmCodec} turns it into the exact CBOR bytes the device returns.
 */
public sealed interface NsmResponse {

  /** The variant name on the wire, e.g. {@code "DescribePCR"} or {@code "Error"}. */
  String operation();

  /** PCR lock state and value. */
  record DescribePcr(boolean lock, byte[] data) implements NsmResponse {
    public DescribePcr {
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public String operation() {
      return "DescribePCR";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof DescribePcr other
          && lock == other.lock
          && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
      return 31 * Boolean.hashCode(lock) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "DescribePcr[lock=" + lock + ", data=" + HexFormat.of().formatHex(data) + "]";
    }
  }

  /** The PCR value after an extend. */
  record ExtendPcr(byte[] data) implements NsmResponse {
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
      return o instanceof ExtendPcr other && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "ExtendPcr[data=" + HexFormat.of().formatHex(data) + "]";
    }
  }

  /** A PCR was locked (unit variant). */
  record LockPcr() implements NsmResponse {
    @Override
    public String operation() {
      return "LockPCR";
    }
  }

  /** A PCR range was locked (unit variant). */
  record LockPcrs() implements NsmResponse {
    @Override
    public String operation() {
      return "LockPCRs";
    }
  }

  /** The module description. */
  record DescribeNsm(NsmDescription description) implements NsmResponse {
    public DescribeNsm {
      Objects.requireNonNull(description, "description");
    }

    @Override
    public String operation() {
      return "DescribeNSM";
    }
  }

  /** A signed attestation document (COSE_Sign1 bytes). */
  record Attestation(byte[] document) implements NsmResponse {
    public Attestation {
      document = document.clone();
    }

    @Override
    public byte[] document() {
      return document.clone();
    }

    @Override
    public String operation() {
      return "Attestation";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Attestation other && Arrays.equals(document, other.document);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(document);
    }

    @Override
    public String toString() {
      return "Attestation[document=" + document.length + " bytes]";
    }
  }

  /** Random bytes. */
  record GetRandom(byte[] random) implements NsmResponse {
    public GetRandom {
      random = random.clone();
    }

    @Override
    public byte[] random() {
      return random.clone();
    }

    @Override
    public String operation() {
      return "GetRandom";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof GetRandom other && Arrays.equals(random, other.random);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(random);
    }

    @Override
    public String toString() {
      return "GetRandom[random=" + random.length + " bytes]";
    }
  }

  /** The module refused the request. */
  record Error(ErrorCode code) implements NsmResponse {
    public Error {
      Objects.requireNonNull(code, "code");
    }

    @Override
    public String operation() {
      return "Error";
    }
  }
}

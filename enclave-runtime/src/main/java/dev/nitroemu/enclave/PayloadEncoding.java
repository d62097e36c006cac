package dev.nitroemu.enclave;

/**
 * How the outer map of an attestation document's payload is encoded. Only the outer map differs;
 * inner maps and arrays are always definite.
 */
public enum PayloadEncoding {
  /** {@code A9} map(9): documents from enclaves started before mid-2025. */
  DEFINITE,
  /** {@code BF ... FF}: documents from current hardware (the default). */
  INDEFINITE
}

package dev.nitroemu.kms.internal;

/**
 * The states a mock KMS key can be in, with their wire names ({@code KeyMetadata.KeyState}).
 *
 * <p>{@code PendingImport} belongs to keys with {@code Origin=EXTERNAL} whose key material is not
 * (or no longer) imported. AWS's other states do not arise in the mock: {@code Unavailable} needs a
 * custom key store, {@code Creating} and {@code Updating} are transient (a new replica reports
 * {@code Creating} in the ReplicateKey response only, see {@link MultiRegionOperations}), and
 * {@code PendingReplicaDeletion} is not modelled.
 */
public enum KeyState {
  ENABLED("Enabled"),
  DISABLED("Disabled"),
  PENDING_DELETION("PendingDeletion"),
  PENDING_IMPORT("PendingImport");

  private final String wireName;

  KeyState(String wireName) {
    this.wireName = wireName;
  }

  /** The name KMS uses on the wire, e.g. {@code PendingDeletion}. */
  public String wireName() {
    return wireName;
  }

  /** The state with this wire name, or null. */
  public static KeyState fromWire(String name) {
    for (KeyState state : values()) {
      if (state.wireName.equals(name)) {
        return state;
      }
    }
    return null;
  }
}

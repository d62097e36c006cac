package dev.nitroemu.kms.internal;

/** The states a mock KMS key can be in, with their wire names ({@code KeyMetadata.KeyState}). */
public enum KeyState {
  ENABLED("Enabled"),
  DISABLED("Disabled"),
  PENDING_DELETION("PendingDeletion");

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

package dev.nitroemu.stack.internal;

import dev.nitroemu.nsm.EnclaveProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;

/**
 * Turns an environment builder's profile options (an explicit profile, an EIF file, a classpath
 * resource with nitro-cli output, a debug flag, PCR overrides) into the one {@link EnclaveProfile}
 * the NSM boots with, and parses {@code "index=hex"} PCR entries.
 */
public final class ProfileResolver {

  private static final int MAX_PROFILE_BYTES = 1 << 20;

  private ProfileResolver() {}

  /**
   * Parses one boot PCR entry {@code "index=hex"} (index 0..15, optionally {@code PCR}-prefixed, 96
   * hex digits) into {@code into}.
   *
   * @throws IllegalArgumentException naming the malformed entry
   */
  public static void parsePcrEntry(String entry, Map<Integer, byte[]> into) {
    int eq = entry.indexOf('=');
    String index = eq < 0 ? "" : entry.substring(0, eq).trim();
    index = index.regionMatches(true, 0, "PCR", 0, 3) ? index.substring(3) : index;
    String value = eq < 0 ? "" : entry.substring(eq + 1).trim();
    if (!index.matches("\\d{1,2}")
        || Integer.parseInt(index) >= EnclaveProfile.BOOT_PCRS
        || !value.matches("[0-9a-fA-F]{96}")) {
      throw new IllegalArgumentException(
          "pcrs entry '"
              + entry
              + "' must look like \"0=<96 hex digits>\""
              + " (a boot PCR 0..15 and its 48-byte value)");
    }
    into.put(Integer.parseInt(index), HexFormat.of().parseHex(value));
  }

  /**
   * The profile to boot: {@code profile}, else the EIF's, else the resource's, else the default
   * builder's; then {@code debug} (when non-null) and the {@code pcrs} overrides applied.
   *
   * @throws IllegalArgumentException if the EIF or resource is unreadable or malformed
   */
  public static EnclaveProfile resolve(
      EnclaveProfile profile,
      Path eif,
      String profileResource,
      ClassLoader loader,
      Boolean debug,
      Map<Integer, byte[]> pcrs) {
    EnclaveProfile base = profile;
    if (eif != null) {
      try {
        base = EnclaveProfile.fromEif(eif);
      } catch (IOException e) {
        throw new IllegalArgumentException("EIF '" + eif + "': " + e.getMessage(), e);
      }
    }
    if (base == null && profileResource != null) {
      String text =
          ClasspathResources.read(profileResource, loader, MAX_PROFILE_BYTES, "enclave profile");
      try {
        base = EnclaveProfile.fromNitroCliOutput(text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "enclave profile '" + profileResource + "': " + e.getMessage(), e);
      }
    }
    EnclaveProfile.Builder builder = base != null ? base.toBuilder() : EnclaveProfile.builder();
    if (debug != null) {
      builder.debug(debug);
    }
    pcrs.forEach(builder::pcr);
    return builder.build();
  }
}

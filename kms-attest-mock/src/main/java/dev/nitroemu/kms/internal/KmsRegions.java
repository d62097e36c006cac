package dev.nitroemu.kms.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The AWS regions one KMS mock serves, each with its own settings and {@link KeyStore} (as AWS
 * regions are separate KMS endpoints), and the lock that serialises changes spanning regions
 * (multi-Region keys).
 *
 * <p>With a state directory, the home region keeps its keys at the directory's top (the layout of a
 * single-region mock) and every other region in {@code regions/<region>/}.
 */
public final class KmsRegions implements AutoCloseable {
  private final String home;
  private final Map<String, Region> regions;
  private final Object crossRegionLock = new Object();

  /** One served region: its settings and its keys. */
  public record Region(KmsSettings settings, KeyStore store) {}

  private KmsRegions(String home, Map<String, Region> regions) {
    this.home = home;
    this.regions = regions;
  }

  /** A single region. */
  public static KmsRegions single(KmsSettings settings, KeyStore store) {
    Map<String, Region> map = new LinkedHashMap<>();
    map.put(settings.region(), new Region(settings, store));
    return new KmsRegions(settings.region(), map);
  }

  /**
   * Opens the stores of {@code home} and {@code others}, in memory when {@code stateDirectory} is
   * null.
   *
   * @param localStackTags whether CreateKey honours LocalStack's tags ({@link
   *     KmsSettings#localStackTags()})
   * @throws IOException when a state directory cannot be opened (stores opened so far are closed)
   */
  public static KmsRegions open(
      String home,
      List<String> others,
      String accountId,
      Clock clock,
      SecureRandom random,
      Path stateDirectory,
      boolean localStackTags)
      throws IOException {
    Map<String, Region> map = new LinkedHashMap<>();
    List<String> all = new ArrayList<>();
    all.add(home);
    others.stream().filter(r -> !all.contains(r)).forEach(all::add);
    try {
      for (String region : all) {
        KeyStore store;
        if (stateDirectory == null) {
          store = KeyStore.inMemory();
        } else {
          store =
              KeyStore.open(
                  region.equals(home)
                      ? stateDirectory
                      : stateDirectory.resolve("regions").resolve(region));
        }
        map.put(
            region,
            new Region(new KmsSettings(region, accountId, clock, random, localStackTags), store));
      }
    } catch (IOException | RuntimeException e) {
      new KmsRegions(home, map).close();
      throw e;
    }
    return new KmsRegions(home, map);
  }

  /** The home region (the mock's default). */
  public String home() {
    return home;
  }

  /** Every served region, home first. */
  public Set<String> names() {
    return regions.keySet();
  }

  /** Whether the region is served. */
  public boolean serves(String region) {
    return regions.containsKey(region);
  }

  /** The settings of a served region. */
  public KmsSettings settings(String region) {
    return region(region).settings();
  }

  /** The key store of a served region. */
  public KeyStore store(String region) {
    return region(region).store();
  }

  private Region region(String region) {
    Region found = regions.get(region);
    if (found == null) {
      throw new IllegalArgumentException("Region " + region + " is not served");
    }
    return found;
  }

  /** The lock held while a change spans regions; never taken while a store's own lock is held. */
  Object crossRegionLock() {
    return crossRegionLock;
  }

  /**
   * Every live copy of a multi-Region key of {@code accountId}, in the order regions are served.
   */
  public List<KmsKey> copies(String keyId, String accountId, Instant now) {
    List<KmsKey> copies = new ArrayList<>();
    for (Region region : regions.values()) {
      KmsKey key = region.store().find(keyId, now);
      if (key != null && key.accountId().equals(accountId)) {
        copies.add(key);
      }
    }
    return copies;
  }

  /** Closes every store; failures are collected and the first is thrown after all are tried. */
  @Override
  public void close() throws IOException {
    IOException first = null;
    for (Region region : regions.values()) {
      try {
        region.store().close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}

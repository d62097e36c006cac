package dev.nitroemu.kms.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary form of the keys in a {@link KeySnapshot}: every field {@link StateCodec} writes, in a
 * fixed order, with instants as epoch seconds and nanoseconds and repeated strings (account,
 * region, description, policy text, tag keys ...) written once and then referred to by number, so a
 * snapshot of 100,000 keys decodes without a JSON parse, an {@code Instant.parse} or a policy parse
 * per key, and the keys it gives share those strings and parsed policies.
 *
 * <p>A string is written as an int: -1 for null, the number of a string already written, or the
 * next number followed by the string (an int byte count and its UTF-8 bytes). Not a stable format
 * for other programs: {@link KeySnapshot} writes its version and discards a snapshot of another.
 */
final class SnapshotCodec {
  private SnapshotCodec() {}

  /** Writes keys, sharing repeated strings across them. */
  static final class Writer {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
    private final DataOutputStream out = new DataOutputStream(bytes);
    private final Map<String, Integer> table = new HashMap<>();

    void key(KmsKey key, long fileSize, long fileModified) throws IOException {
      string(key.keyId());
      shared(key.accountId());
      shared(key.region());
      shared(key.partition());
      instant(key.creationDate());
      shared(key.description());
      shared(key.keyUsage());
      shared(key.spec().name());
      shared(key.state().wireName());
      instant(key.deletionDate());
      out.writeInt(key.pendingWindowInDays() == null ? -1 : key.pendingWindowInDays());
      shared(key.policyJson());
      shared(key.origin());
      out.writeInt(key.tags().size());
      for (Map.Entry<String, String> tag : key.tags().entrySet()) {
        shared(tag.getKey());
        shared(tag.getValue());
      }
      out.writeInt(key.materials().size());
      for (KeyMaterial material : key.materials()) {
        material(material);
      }
      KeyRotation rotation = key.rotation();
      out.writeBoolean(rotation.enabled());
      out.writeInt(rotation.periodDays());
      instant(rotation.base());
      out.writeInt(rotation.onDemandRotations());
      MultiRegionRole multiRegion = key.multiRegion();
      out.writeBoolean(multiRegion != null);
      if (multiRegion != null) {
        shared(multiRegion.primaryRegion());
        out.writeLong(multiRegion.epoch());
      }
      out.writeInt(key.importParameters().size());
      for (ImportParameters parameters : key.importParameters()) {
        string(parameters.tokenId());
        shared(parameters.wrappingAlgorithm());
        shared(parameters.wrappingKeySpec());
        bytes(parameters.privateKey());
        instant(parameters.validTo());
      }
      out.writeLong(fileSize);
      out.writeLong(fileModified);
    }

    private void material(KeyMaterial material) throws IOException {
      string(material.id());
      bytes(material.secret());
      bytes(material.publicKeyDer());
      shared(material.state().name());
      instant(material.rotationDate());
      shared(material.rotationType());
      KeyMaterial.Imported imported = material.imported();
      out.writeBoolean(imported != null);
      if (imported != null) {
        shared(imported.description());
        shared(imported.expirationModel());
        instant(imported.validTo());
      }
    }

    /** Everything written so far. */
    byte[] toByteArray() throws IOException {
      out.flush();
      return bytes.toByteArray();
    }

    private void shared(String text) throws IOException {
      if (text == null) {
        out.writeInt(-1);
        return;
      }
      Integer number = table.get(text);
      if (number != null) {
        out.writeInt(number);
        return;
      }
      out.writeInt(table.size());
      table.put(text, table.size());
      string(text);
    }

    private void string(String text) throws IOException {
      bytes(text == null ? null : text.getBytes(StandardCharsets.UTF_8));
    }

    private void bytes(byte[] value) throws IOException {
      if (value == null) {
        out.writeInt(-1);
      } else {
        out.writeInt(value.length);
        out.write(value);
      }
    }

    private void instant(Instant instant) throws IOException {
      out.writeBoolean(instant != null);
      if (instant != null) {
        out.writeLong(instant.getEpochSecond());
        out.writeInt(instant.getNano());
      }
    }
  }

  /**
   * A key read back with the size and modification time its file had when the snapshot was written.
   */
  record Entry(KmsKey key, KeySnapshot.FileStamp stamp) {}

  /** Reads what a {@link Writer} wrote, in the same order. */
  static final class Reader {
    private final ByteBuffer in;
    private final List<String> table = new ArrayList<>();
    private final Map<String, KeyPolicy> policies = new IdentityHashMap<>();

    Reader(ByteBuffer in) {
      this.in = in;
    }

    /**
     * The next key. Asymmetric material is parsed on first use: the snapshot's checksum showed it
     * is what the store wrote.
     *
     * @throws RuntimeException (e.g. {@link IllegalArgumentException}, {@link
     *     java.nio.BufferUnderflowException}) when the bytes are not a key
     */
    Entry key() {
      String keyId = string();
      if (!KeyIdentifiers.isAnyKeyId(keyId)) {
        throw new IllegalArgumentException("not a key id");
      }
      String accountId = shared();
      String region = shared();
      String partition = shared();
      Instant creationDate = instant();
      String description = shared();
      String usage = shared();
      KmsKeySpec spec = KmsKeySpec.fromWire(shared());
      KeyState state = KeyState.fromWire(shared());
      if (spec == null || state == null) {
        throw new IllegalArgumentException("unknown keySpec or keyState");
      }
      Instant deletionDate = instant();
      int window = in.getInt();
      String policyJson = shared();
      KeyPolicy policy = policies.computeIfAbsent(policyJson, SharedPolicies::parse);
      String origin = shared();
      int tagCount = count(KeyTags.MAX_TAGS);
      Map<String, String> tags = new LinkedHashMap<>();
      for (int i = 0; i < tagCount; i++) {
        tags.put(shared(), shared());
      }
      int materialCount = count(Integer.MAX_VALUE);
      List<KeyMaterial> materials = new ArrayList<>(materialCount);
      for (int i = 0; i < materialCount; i++) {
        materials.add(material(spec));
      }
      KeyRotation rotation = new KeyRotation(in.get() != 0, in.getInt(), instant(), in.getInt());
      MultiRegionRole multiRegion =
          in.get() != 0 ? new MultiRegionRole(shared(), in.getLong()) : null;
      int importCount = count(KmsKey.MAX_IMPORT_PARAMETERS);
      List<ImportParameters> imports = new ArrayList<>(importCount);
      for (int i = 0; i < importCount; i++) {
        imports.add(new ImportParameters(string(), shared(), shared(), bytes(), instant()));
      }
      KeyDraft d = new KeyDraft();
      d.keyId = keyId;
      d.accountId = accountId;
      d.region = region;
      d.partition = partition;
      d.creationDate = creationDate;
      d.description = description;
      d.keyUsage = usage;
      d.spec = spec;
      d.state = state;
      d.deletionDate = deletionDate;
      d.pendingWindowInDays = window < 0 ? null : window;
      d.policyJson = policyJson;
      d.policy = policy;
      d.origin = origin;
      d.materials = materials;
      d.rotation = rotation;
      d.multiRegion = multiRegion;
      d.importParameters = imports;
      d.tags = tags;
      KmsKey key = d.build();
      return new Entry(key, new KeySnapshot.FileStamp(in.getLong(), in.getLong()));
    }

    private KeyMaterial material(KmsKeySpec spec) {
      String id = string();
      byte[] secret = bytes();
      byte[] publicKey = bytes();
      KeyMaterial.State state = KeyMaterial.State.valueOf(shared());
      Instant rotationDate = instant();
      String rotationType = shared();
      KeyMaterial.Imported imported =
          in.get() != 0 ? new KeyMaterial.Imported(shared(), shared(), instant()) : null;
      return new KeyMaterial(
          id, spec, secret, publicKey, state, rotationDate, rotationType, imported);
    }

    private int count(int max) {
      int count = in.getInt();
      if (count < 0 || count > max || count > in.remaining()) {
        throw new IllegalArgumentException("bad count " + count);
      }
      return count;
    }

    private String shared() {
      int number = in.getInt();
      if (number < 0) {
        return null;
      }
      if (number < table.size()) {
        return table.get(number);
      }
      if (number != table.size()) {
        throw new IllegalArgumentException("string " + number + " out of order");
      }
      String text = string();
      table.add(text);
      return text;
    }

    private String string() {
      int length = in.getInt();
      if (length < 0) {
        return null;
      }
      checkLength(length);
      String text =
          new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
      in.position(in.position() + length);
      return text;
    }

    private byte[] bytes() {
      int length = in.getInt();
      if (length < 0) {
        return null;
      }
      checkLength(length);
      byte[] value = new byte[length];
      in.get(value);
      return value;
    }

    private void checkLength(int length) {
      if (length > in.remaining()) {
        throw new IllegalArgumentException("length " + length + " past the end");
      }
    }

    private Instant instant() {
      return in.get() != 0 ? Instant.ofEpochSecond(in.getLong(), in.getInt()) : null;
    }
  }
}

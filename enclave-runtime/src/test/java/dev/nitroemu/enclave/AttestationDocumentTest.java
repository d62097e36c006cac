package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationException.Reason;
import dev.nitroemu.enclave.internal.CborWriter;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Decoding and exact re-encoding of attestation payloads, checked against the real AWS documents.
 */
class AttestationDocumentTest {

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void reEncodingARealPayloadReproducesItByteForByte(RealVector vector) {
    byte[] payload = vector.payload();

    byte[] reEncoded =
        AttestationDocument.decodePayload(payload)
            .encodePayload(AttestationDocument.encodingOf(payload));

    assertThat(reEncoded).isEqualTo(payload);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void encodingOfReadsTheOuterMapForm(RealVector vector) {
    assertThat(AttestationDocument.encodingOf(vector.payload())).isEqualTo(vector.encoding);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void theOtherEncodingDiffersOnlyInTheOuterMap(RealVector vector) {
    byte[] payload = vector.payload();
    PayloadEncoding other =
        vector.encoding == PayloadEncoding.DEFINITE
            ? PayloadEncoding.INDEFINITE
            : PayloadEncoding.DEFINITE;

    byte[] switched = AttestationDocument.decodePayload(payload).encodePayload(other);

    assertThat(AttestationDocument.decodePayload(switched))
        .isEqualTo(AttestationDocument.decodePayload(payload));
    int extra = other == PayloadEncoding.INDEFINITE ? 1 : -1;
    assertThat(switched).hasSize(payload.length + extra);
  }

  @Test
  void returnedArraysAreCopies() {
    AttestationDocument document = RealVector.SUI.document();
    byte[] userData = document.userData();

    userData[0] ^= 1;
    document.pcrs().get(4)[0] ^= 1;
    document.cabundle().get(0)[0] ^= 1;

    assertThat(document).isEqualTo(RealVector.SUI.document());
  }

  @Test
  void payloadThatIsNotCborOrNotAMapIsMalformed() {
    assertDecodeFails(new byte[] {(byte) 0xFF, 0x00}, Reason.MALFORMED_PAYLOAD);
    assertDecodeFails(new CborWriter().array(0).toByteArray(), Reason.MALFORMED_PAYLOAD);
  }

  @Test
  void missingFieldIsMalformed() {
    assertDecodeFails(
        payloadWith(w -> w.text("module_id").text("i-1-enc2")), Reason.MALFORMED_PAYLOAD);
  }

  @Test
  void wrongDigestIsAnInvalidField() {
    byte[] payload =
        rewritten(
            d ->
                new AttestationDocument(
                    d.moduleId(),
                    "SHA256",
                    d.timestamp(),
                    d.pcrs(),
                    d.certificate(),
                    d.cabundle(),
                    d.publicKey(),
                    d.userData(),
                    d.nonce()));

    assertDecodeFails(payload, Reason.INVALID_FIELD);
  }

  @Test
  void shortPcrIsAnInvalidField() {
    byte[] payload =
        rewritten(
            d -> {
              var pcrs = d.pcrs();
              pcrs.put(4, new byte[47]);
              return new AttestationDocument(
                  d.moduleId(),
                  d.digest(),
                  d.timestamp(),
                  pcrs,
                  d.certificate(),
                  d.cabundle(),
                  d.publicKey(),
                  d.userData(),
                  d.nonce());
            });

    assertDecodeFails(payload, Reason.INVALID_FIELD);
  }

  @Test
  void oversizedUserDataIsAnInvalidField() {
    byte[] payload =
        rewritten(
            d ->
                new AttestationDocument(
                    d.moduleId(),
                    d.digest(),
                    d.timestamp(),
                    d.pcrs(),
                    d.certificate(),
                    d.cabundle(),
                    d.publicKey(),
                    new byte[AttestationDocument.MAX_OPTIONAL_FIELD + 1],
                    d.nonce()));

    assertDecodeFails(payload, Reason.INVALID_FIELD);
  }

  @Test
  void emptyCabundleAndZeroTimestampAreInvalidFields() {
    assertDecodeFails(
        rewritten(
            d ->
                new AttestationDocument(
                    d.moduleId(),
                    d.digest(),
                    d.timestamp(),
                    d.pcrs(),
                    d.certificate(),
                    List.of(),
                    null,
                    null,
                    null)),
        Reason.INVALID_FIELD);
    assertDecodeFails(
        rewritten(
            d ->
                new AttestationDocument(
                    d.moduleId(),
                    d.digest(),
                    0,
                    d.pcrs(),
                    d.certificate(),
                    d.cabundle(),
                    null,
                    null,
                    null)),
        Reason.INVALID_FIELD);
  }

  @Test
  void pcrIndexGivenTwiceIsAnInvalidField() {
    AttestationDocument d = RealVector.UID2.document();
    byte[] payload =
        payloadWith(
            w ->
                w.text("module_id")
                    .text(d.moduleId())
                    .text("digest")
                    .text("SHA384")
                    .text("timestamp")
                    .integer(d.timestamp())
                    .text("pcrs")
                    .map(2)
                    .integer(4)
                    .bytes(new byte[48])
                    .text("04")
                    .bytes(d.pcr(4))
                    .text("certificate")
                    .bytes(d.certificate())
                    .text("cabundle")
                    .array(1)
                    .bytes(d.cabundle().get(0))
                    .text("public_key")
                    .nul()
                    .text("user_data")
                    .nul()
                    .text("nonce")
                    .nul(),
            9);

    assertDecodeFails(payload, Reason.INVALID_FIELD);
  }

  private static byte[] rewritten(UnaryOperator<AttestationDocument> edit) {
    return edit.apply(RealVector.UID2.document()).encodePayload(PayloadEncoding.DEFINITE);
  }

  private static byte[] payloadWith(Consumer<CborWriter> fields) {
    return payloadWith(fields, 1);
  }

  private static byte[] payloadWith(Consumer<CborWriter> fields, int count) {
    CborWriter writer = new CborWriter().map(count);
    fields.accept(writer);
    return writer.toByteArray();
  }

  private static void assertDecodeFails(byte[] payload, Reason reason) {
    assertThatThrownBy(() -> AttestationDocument.decodePayload(payload))
        .isInstanceOfSatisfying(
            AttestationException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }
}

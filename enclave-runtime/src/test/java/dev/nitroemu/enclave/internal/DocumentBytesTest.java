package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DocumentBytesTest {
  /** Starts like every real document: 84 44 A1 01 38 22 A0 59, then arbitrary bytes. */
  private static final byte[] DOCUMENT = HexFormat.of().parseHex("8444a1013822a05910fbff00e0fe3e");

  @Test
  void rawBytesStartingWithArrayOrTag18AreKeptAsTheyAre() {
    byte[] tagged = HexFormat.of().parseHex("d28444a1013822a0");

    assertThat(DocumentBytes.decode(DOCUMENT)).isEqualTo(DOCUMENT);
    assertThat(DocumentBytes.decode(tagged)).isEqualTo(tagged);
  }

  @Test
  void base64IsDecodedWhetherWrappedPaddedOrUrlSafe() {
    String standard = Base64.getEncoder().encodeToString(DOCUMENT);
    String wrapped =
        standard.substring(0, 7)
            + "\r\n"
            + standard.substring(7, 13)
            + "\n \t"
            + standard.substring(13)
            + "\n";
    String unpadded = Base64.getEncoder().withoutPadding().encodeToString(DOCUMENT);
    String urlSafe = Base64.getUrlEncoder().encodeToString(DOCUMENT);
    assertThat(standard).startsWith("hEShATgioFk").contains("/").contains("+");
    assertThat(urlSafe).contains("_").contains("-");

    for (String text : new String[] {standard, wrapped, unpadded, urlSafe}) {
      assertThat(DocumentBytes.decode(ascii(text))).as(text).isEqualTo(DOCUMENT);
    }
  }

  @Test
  void hexIsDecodedInEitherCaseWithWhitespace() {
    String lower = HexFormat.of().formatHex(DOCUMENT);
    String upperWrapped =
        lower.toUpperCase().substring(0, 10) + "\n" + lower.toUpperCase().substring(10) + "\n";

    assertThat(DocumentBytes.decode(ascii(lower))).isEqualTo(DOCUMENT);
    assertThat(DocumentBytes.decode(ascii(upperWrapped))).isEqualTo(DOCUMENT);
  }

  @Test
  void emptyOrUndecodableContentsAreMalformed() {
    for (String text : new String[] {"", " \n\t", "not base64 at all!", "hEShA=TgioFk"}) {
      assertThatThrownBy(() -> DocumentBytes.decode(ascii(text)))
          .as(text)
          .isInstanceOfSatisfying(
              AttestationException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_COSE));
    }
  }

  @Test
  void contentsOverTheLimitAreTooLarge() {
    byte[] huge = new byte[DocumentBytes.MAX_CONTENT_SIZE + 1];
    huge[0] = (byte) 0x84;

    assertThatThrownBy(() -> DocumentBytes.decode(huge))
        .isInstanceOfSatisfying(
            AttestationException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE));
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}

package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PemTest {
  @Test
  void encodedBlockDecodesBackWithSixtyFourColumnLines() {
    byte[] der = new byte[100];
    for (int i = 0; i < der.length; i++) {
      der[i] = (byte) i;
    }

    String pem = Pem.encode(Pem.CERTIFICATE, der);

    assertThat(pem.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(64));
    assertThat(Pem.decode("leading text\n" + pem, Pem.CERTIFICATE)).isEqualTo(der);
  }

  @Test
  void missingOrBrokenBlocksAreRejected() {
    assertThatThrownBy(() -> Pem.decode("nothing here", Pem.CERTIFICATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CERTIFICATE");
    assertThatThrownBy(() -> Pem.decode("-----BEGIN CERTIFICATE-----\nAAAA\n", Pem.CERTIFICATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("END");
    assertThatThrownBy(
            () ->
                Pem.decode(
                    "-----BEGIN CERTIFICATE-----\n*!*\n-----END CERTIFICATE-----", Pem.CERTIFICATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("base64");
  }
}

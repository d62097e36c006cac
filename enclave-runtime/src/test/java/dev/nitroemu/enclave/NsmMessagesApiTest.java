package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The request and response interfaces publish their variants and {@code operation()}, no helpers.
 */
class NsmMessagesApiTest {

  @Test
  void theInterfacesDeclareNoPublicHelperMethods() {
    for (Class<?> type : new Class<?>[] {NsmRequest.class, NsmResponse.class}) {
      assertThat(
              Arrays.stream(type.getDeclaredMethods())
                  .filter(method -> Modifier.isPublic(method.getModifiers()))
                  .map(Method::getName))
          .as("public methods of %s", type.getSimpleName())
          .containsExactly("operation");
    }
  }

  @Test
  void toStringShowsPcrValuesAndOnlyTheSizesOfAttestationInputs() {
    byte[] value = new byte[48];
    value[0] = (byte) 0xab;

    assertThat(new NsmResponse.DescribePcr(true, value).toString())
        .isEqualTo("DescribePcr[lock=true, data=" + HexFormat.of().formatHex(value) + "]");
    assertThat(new NsmRequest.Attestation(new byte[3], null, new byte[91]).toString())
        .isEqualTo("Attestation[userData=3 bytes, nonce=null, publicKey=91 bytes]");
  }
}

package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
  @Test
  void parsesBytesAndBinaryUnits() {
    assertThat(ByteSize.parse("1048576", "--x")).isEqualTo(1L << 20);
    assertThat(ByteSize.parse("512k", "--x")).isEqualTo(512L << 10);
    assertThat(ByteSize.parse("64m", "--x")).isEqualTo(64L << 20);
    assertThat(ByteSize.parse("64MiB", "--x")).isEqualTo(64L << 20);
    assertThat(ByteSize.parse(" 64 MB ", "--x")).isEqualTo(64L << 20);
    assertThat(ByteSize.parse("2G", "--x")).isEqualTo(2L << 30);
    assertThat(ByteSize.parse("100b", "--x")).isEqualTo(100);
  }

  @Test
  void rejectsWhatIsNotASizeNamingTheOption() {
    for (String bad : new String[] {"", "m", "-1", "1.5m", "64x", "64 m m", "9999999999999999"}) {
      assertThatThrownBy(() -> ByteSize.parse(bad, "--audit-max-size"))
          .as(bad)
          .isInstanceOf(CliFailure.class)
          .hasMessageStartingWith("--audit-max-size: ");
    }
    assertThatThrownBy(() -> ByteSize.parse("999999999999999g", "--y"))
        .isInstanceOf(CliFailure.class)
        .hasMessageContaining("too large");
  }
}

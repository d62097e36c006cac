package dev.nitroemu.enclavetests.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclavetests.internal.CommandArguments.UsageException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CommandArgumentsTest {
  private static final Set<String> OPTIONS =
      Set.of("port", "enclave-cid", "select-class", "timeout", "runs");
  private static final Set<String> FLAGS = Set.of("verbose");

  @Test
  void readsSpacedAndEqualsFormsRepeatsAndFlags() throws UsageException {
    CommandArguments arguments =
        CommandArguments.parse(
            List.of("--select-class", "A", "--select-class=B", "--verbose", "--timeout", "90s"),
            OPTIONS,
            FLAGS);

    assertThat(arguments.all("select-class")).containsExactly("A", "B");
    assertThat(arguments.flag("verbose")).isTrue();
    assertThat(arguments.duration("timeout", Duration.ZERO)).isEqualTo(Duration.ofSeconds(90));
    assertThat(arguments.one("port")).isNull();
  }

  @Test
  void vsockPortsAndCidsAreUnsigned32Bit() throws UsageException {
    assertThat(
            CommandArguments.parse(List.of("--port", "4294967294"), OPTIONS, FLAGS)
                .vsockPort("port", 5005))
        .isEqualTo(4_294_967_294L);
    assertThat(CommandArguments.parse(List.of(), OPTIONS, FLAGS).vsockPort("port", 5005))
        .isEqualTo(5005);
    assertThatThrownBy(
            () ->
                CommandArguments.parse(List.of("--port", "-1"), OPTIONS, FLAGS)
                    .vsockPort("port", 0))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--port");
    assertThatThrownBy(
            () ->
                CommandArguments.parse(List.of("--port", "4294967295"), OPTIONS, FLAGS)
                    .vsockPort("port", 0))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("1..4294967294");
    assertThat(
            CommandArguments.parse(List.of("--enclave-cid", "3000000000"), OPTIONS, FLAGS)
                .vsockCid("enclave-cid", 0))
        .isEqualTo(3_000_000_000L);
    assertThatThrownBy(
            () ->
                CommandArguments.parse(List.of("--enclave-cid", "4294967296"), OPTIONS, FLAGS)
                    .vsockCid("enclave-cid", 0))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--enclave-cid");
  }

  @Test
  void badUsageIsATypedErrorNamingTheArgument() {
    assertThatThrownBy(() -> CommandArguments.parse(List.of("--nope", "1"), OPTIONS, FLAGS))
        .isInstanceOf(UsageException.class)
        .hasMessage("unknown option --nope");
    assertThatThrownBy(() -> CommandArguments.parse(List.of("--port"), OPTIONS, FLAGS))
        .isInstanceOf(UsageException.class)
        .hasMessage("--port needs a value");
    assertThatThrownBy(() -> CommandArguments.parse(List.of("--verbose=yes"), OPTIONS, FLAGS))
        .isInstanceOf(UsageException.class)
        .hasMessage("--verbose takes no value");
    assertThatThrownBy(() -> CommandArguments.parse(List.of("stray"), OPTIONS, FLAGS))
        .isInstanceOf(UsageException.class)
        .hasMessage("unexpected argument 'stray'");
    assertThatThrownBy(
            () ->
                CommandArguments.parse(List.of("--runs", "1", "--runs", "2"), OPTIONS, FLAGS)
                    .one("runs"))
        .isInstanceOf(UsageException.class)
        .hasMessage("--runs may be given once");
  }
}

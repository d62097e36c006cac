package dev.nitroemu.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.stack.EnclaveEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class EnvironmentHolderTest {

  @Test
  void startsOnceOnFirstUseAndClosesWhatItStarted() throws Exception {
    EnvironmentHolder holder = new EnvironmentHolder(EnclaveEnvironment.builder());

    EnclaveEnvironment env = holder.get();
    assertThat(holder.get()).isSameAs(env);
    holder.close();

    assertThatThrownBy(() -> ((VsockNetwork) env.transport()).listen(VsockAddress.of(16, 1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(holder::get).hasMessage("the enclave environment is already closed");
  }

  @Test
  void closingBeforeFirstUseStartsNothing() throws Exception {
    EnvironmentHolder holder =
        new EnvironmentHolder(EnclaveEnvironment.builder().profile("profiles/absent.json"));

    holder.close();

    assertThatThrownBy(holder::get).hasMessage("the enclave environment is already closed");
  }

  @Test
  void failedStartIsReportedAgainWithoutRetrying() {
    EnvironmentHolder holder =
        new EnvironmentHolder(EnclaveEnvironment.builder().profile("profiles/absent.json"));

    assertThatThrownBy(holder::get)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'profiles/absent.json' is not on the classpath");
    assertThatThrownBy(holder::get)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("the enclave environment failed to start earlier: ")
        .hasCauseInstanceOf(IllegalArgumentException.class);
  }
}

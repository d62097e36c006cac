package dev.nitroemu.container.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.supervisor.SupervisorBinary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The supervisor wiring of enclave containers that needs no Docker: choice, argv, profile. */
class SupervisedLaunchTest {

  @Test
  void imagesAreSupervisedUnlessLabelledOrToldOtherwise() {
    assertThat(SupervisedLaunch.wanted(null, Map.of())).isTrue();
    assertThat(SupervisedLaunch.wanted(null, null)).isTrue();
    assertThat(SupervisedLaunch.wanted(null, Map.of(SupervisedLaunch.RUNTIME_LABEL, "java")))
        .isFalse();
    assertThat(SupervisedLaunch.wanted(true, Map.of(SupervisedLaunch.RUNTIME_LABEL, "java")))
        .isTrue();
    assertThat(SupervisedLaunch.wanted(false, Map.of())).isFalse();
  }

  @Test
  void theCommandRunsAfterTheSupervisorAndItsOptions() {
    List<String> argv = SupervisedLaunch.argv(List.of("/app", "--flag", "--"), "/run/v", 17);

    assertThat(argv.subList(0, 7))
        .containsExactly(
            "/nitro-emu-init", "--vsock-dir", "/run/v", "--base", "vsock", "--nsm-port", "9797");
    assertThat(argv.subList(argv.indexOf("--"), argv.size()))
        .containsExactly("--", "/app", "--flag", "--");
    assertThat(argv).containsSequence("--cid", "17");
  }

  @Test
  void theShippedProfileAllowsAfVsockAndWhatTheSupervisorNeeds() throws Exception {
    JsonNode profile = new ObjectMapper().readTree(SupervisedLaunch.shippedProfile());
    assertThat(profile.path("defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
    List<String> unconditional = new ArrayList<>();
    for (JsonNode rule : profile.path("syscalls")) {
      boolean plain =
          rule.path("action").asText().equals("SCMP_ACT_ALLOW")
              && rule.path("args").isEmpty()
              && rule.path("includes").isEmpty()
              && rule.path("excludes").isEmpty();
      if (plain) {
        rule.path("names").forEach(name -> unconditional.add(name.asText()));
      }
    }
    assertThat(unconditional)
        .contains(
            "socket", "seccomp", "ioctl", "pidfd_getfd", "process_vm_readv", "process_vm_writev")
        .doesNotContain("ptrace", "mount", "bpf", "unshare", "setns");
  }

  @Test
  void theSupervisorsDenialLineIsFoundInTheConsole() {
    String line = SupervisorBinary.VSOCK_DENIED_PREFIX + " (EPERM) by the container's profile";

    assertThat(SupervisedLaunch.vsockDenial("before\n" + line + "\nafter")).contains(line);
    assertThat(SupervisedLaunch.vsockDenial("connect ECONNRESET\n")).isEmpty();
    assertThat(SupervisedLaunch.vsockDenial(null)).isEmpty();
  }
}

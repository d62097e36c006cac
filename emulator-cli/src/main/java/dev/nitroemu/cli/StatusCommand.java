package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu status}: whether a stack runs on the state directory, its endpoints and its
 * health.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    header =
        "Tells whether a stack runs on the state directory, with its endpoints and each service's health.",
    description = {
      "Reads the state directory's lock record and endpoints, and asks the stack's health endpoint "
          + "(GET <KMS endpoint>/_nitro-emu/health). Exit code 0 when a stack runs, 3 when none does."
    })
final class StatusCommand extends CliCommand {
  /** The exit code when no stack runs (as LSB init scripts' status). */
  static final int NOT_RUNNING = 3;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Mixin StateDirOption stateDir;

  @Option(
      names = "--json",
      description = "print JSON: running, pid, state directory, endpoints and health")
  boolean json;

  @Override
  public void run() {
    Path dir = stateDir.resolve(env);
    Optional<RunningStack> found = RunningStack.find(dir);
    PrintWriter out = spec.commandLine().getOut();
    ObjectNode report = JSON.createObjectNode();
    report.put("running", found.isPresent());
    report.put("stateDirectory", dir.toString());
    if (found.isEmpty()) {
      print(out, report, "no stack is running on state directory " + dir);
      throw new CliExit(NOT_RUNNING);
    }
    RunningStack stack = found.get();
    report.put("pid", stack.owner().pid());
    report.put(
        "started", stack.owner().started() == null ? null : stack.owner().started().toString());
    if (stack.endpoints() == null) {
      report.put("ready", false);
      print(
          out,
          report,
          "a stack is starting on state directory " + dir + " (pid " + stack.owner().pid() + ")");
      return;
    }
    report.put("ready", true);
    report.set("endpoints", stack.json());
    JsonNode health = stack.health();
    report.set("health", health);
    if (json) {
      print(out, report, null);
      return;
    }
    out.printf(
        "running    pid %d%s, state directory %s (KMS keys %s)%n",
        stack.owner().pid(),
        stack.owner().started() == null ? "" : " since " + stack.owner().started(),
        dir,
        stack.json().path("kmsState").asText("persistent"));
    stack.endpoints().print(out);
    StringBuilder services = new StringBuilder();
    for (Map.Entry<String, JsonNode> service : health.path("services").properties()) {
      services
          .append(services.length() == 0 ? "" : ", ")
          .append(service.getKey())
          .append(' ')
          .append(service.getValue().path("status").asText());
    }
    out.printf(
        "health     %s%s%n",
        health.path("status").asText(),
        services.length() == 0 ? " (" + health.path("reason").asText() + ")" : ": " + services);
  }

  private void print(PrintWriter out, ObjectNode report, String human) {
    if (json || human == null) {
      out.println(report.toPrettyString());
    } else {
      out.println(human);
    }
    out.flush();
  }
}

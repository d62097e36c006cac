package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code nitro-emu env}: the shell exports that point AWS clients and enclave apps at the running
 * stack.
 */
@Command(
    name = "env",
    mixinStandardHelpOptions = true,
    header =
        "Prints the shell exports for the running stack: KMS endpoint, credentials, region, NITRO_VSOCK_MAP.",
    description = {
      "Use it as: eval \"$(nitro-emu env)\". AWS SDKs and the AWS CLI v2 then call the KMS mock "
          + "(AWS_ENDPOINT_URL_KMS, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_REGION/AWS_DEFAULT_REGION; "
          + "AWS_CA_BUNDLE with --kms-tls) and enclave apps find the NSM and vsock-proxies "
          + "(NITRO_VSOCK_MAP). Exit code 3 when no stack runs."
    })
final class EnvCommand extends CliCommand {
  @Mixin StateDirOption stateDir;

  @Override
  public void run() {
    RunningStack stack = RunningStack.require(stateDir.resolve(env));
    JsonNode kms = stack.json().path("kms");
    Map<String, String> exports = new LinkedHashMap<>();
    exports.put("AWS_ENDPOINT_URL_KMS", kms.path("endpoint").asText());
    exports.put("AWS_ACCESS_KEY_ID", kms.path("accessKeyId").asText());
    exports.put("AWS_SECRET_ACCESS_KEY", kms.path("secretAccessKey").asText());
    exports.put("AWS_REGION", kms.path("region").asText());
    exports.put("AWS_DEFAULT_REGION", kms.path("region").asText());
    if (kms.hasNonNull("tlsCaPem")) {
      exports.put("AWS_CA_BUNDLE", kms.path("tlsCaPem").asText());
    }
    exports.put("NITRO_VSOCK_MAP", stack.json().path("mappingFile").asText());
    PrintWriter out = spec.commandLine().getOut();
    exports.forEach((name, value) -> out.println("export " + name + "=" + shellQuoted(value)));
    out.flush();
  }

  /**
   * The value as a POSIX shell word: bare when it is only safe characters, else in single quotes.
   */
  static String shellQuoted(String value) {
    if (!value.isEmpty()
        && value
            .chars()
            .allMatch(c -> Character.isLetterOrDigit(c) || "@%+=:,./_-".indexOf(c) >= 0)) {
      return value;
    }
    return "'" + value.replace("'", "'\\''") + "'";
  }
}

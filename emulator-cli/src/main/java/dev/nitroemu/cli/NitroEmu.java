package dev.nitroemu.cli;

import dev.nitroemu.enclave.NitroSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code nitro-emu} command: the entry point that composes the emulator libraries. */
@Command(
    name = "nitro-emu",
    mixinStandardHelpOptions = true,
    versionProvider = NitroEmu.Version.class,
    description = {
      "Emulates AWS Nitro Enclaves for tests and local development: the NSM (/dev/nsm and its attestation"
          + " documents), vsock, vsock-proxy, and AWS KMS with attestation-aware key policies (Recipient, CMS),"
          + " run as one stack (start, status, stop, env, audit) that unmodified AWS SDKs and CLIs and enclave"
          + " apps use.",
      "Every error is one line on standard error; exit code 1 for a failed operation, 2 for bad arguments,"
          + " 3 when no stack runs (status, env, audit, and the enclave commands); run-enclave, describe-enclaves,"
          + " console and terminate-enclave exit with nitro-cli's error codes."
    },
    subcommands = {
      StartCommand.class,
      AttestCommand.class,
      VerifyCommand.class,
      CaCommand.class,
      PcrsCommand.class,
      VsockProxyCommand.class,
      DescribeEifCommand.class,
      BuildEifCommand.class,
      KmsCommand.class,
      PolicyCommand.class,
      StatusCommand.class,
      StopCommand.class,
      EnvCommand.class,
      AuditCommand.class,
      RunEnclaveCommand.class,
      DescribeEnclavesCommand.class,
      EnclaveConsoleCommand.class,
      TerminateEnclaveCommand.class,
      ExecCommand.class
    })
public final class NitroEmu implements Runnable {

  private final CliEnvironment environment;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  NitroEmu(CliEnvironment environment) {
    this.environment = Objects.requireNonNull(environment, "environment");
  }

  CliEnvironment environment() {
    return environment;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(
        execute(
            CliEnvironment.system(),
            new PrintWriter(System.out, true),
            new PrintWriter(System.err, true),
            args));
  }

  /** Runs the command with the given environment and streams; returns the exit code. */
  static int execute(CliEnvironment environment, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new NitroEmu(environment), new CliFactory(environment));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof CliExit exit) {
            return exit.exitCode();
          }
          commandLine.getErr().println("nitro-emu: " + oneLine(ex));
          return ex instanceof CliFailure failure ? failure.exitCode() : 1;
        });
    cli.setUsageHelpAutoWidth(true);
    cli.setParameterExceptionHandler(
        (ex, args2) -> {
          CommandLine cmd = ex.getCommandLine();
          cmd.getErr().println(usageError(ex));
          cmd.getErr().flush();
          return 2;
        });
    return cli.execute(args);
  }

  /**
   * A usage error as one line that names the command and the option or argument, with picocli's
   * "did you mean" suggestions for a mistyped subcommand or option, and where to read more.
   */
  static String usageError(CommandLine.ParameterException ex) {
    String command = ex.getCommandLine().getCommandSpec().qualifiedName();
    StringBuilder line = new StringBuilder(command).append(": ").append(oneLine(ex));
    if (ex instanceof CommandLine.UnmatchedArgumentException unmatched) {
      List<String> suggestions = unmatched.getSuggestions();
      if (!suggestions.isEmpty()) {
        line.append(" (did you mean ")
            .append(String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size()))))
            .append("?)");
      }
    }
    return line.append("; see '").append(command).append(" --help'").toString();
  }

  private static String oneLine(Exception ex) {
    String message = ex.getMessage();
    if (message == null || message.isBlank()) {
      message = ex.getClass().getSimpleName();
    }
    return message.replace('\n', ' ');
  }

  /** Supplies the environment to every subcommand. */
  private static final class CliFactory implements CommandLine.IFactory {
    private final CliEnvironment environment;
    private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

    CliFactory(CliEnvironment environment) {
      this.environment = environment;
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
      if (EnvironmentAware.class.isAssignableFrom(cls)) {
        K instance = fallback.create(cls);
        ((EnvironmentAware) instance).setEnvironment(environment);
        return instance;
      }
      return fallback.create(cls);
    }
  }

  /**
   * Prints the Maven project version, put into {@value #VERSION_RESOURCE} when the jar is built.
   */
  static final class Version implements CommandLine.IVersionProvider {
    static final String VERSION_RESOURCE = "nitro-emu-version.properties";

    @Override
    public String[] getVersion() throws IOException {
      return new String[] {
        "nitro-emu " + version(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}. */
    static String version() throws IOException {
      Properties properties = new Properties();
      try (InputStream in = NitroEmu.class.getResourceAsStream(VERSION_RESOURCE)) {
        if (in == null) {
          throw new IOException(
              VERSION_RESOURCE + " is missing from the class path; rebuild the jar");
        }
        properties.load(in);
      }
      String version = properties.getProperty("version", "");
      if (version.isBlank() || version.startsWith("${")) {
        throw new IOException(VERSION_RESOURCE + " was not filtered by the build; rebuild the jar");
      }
      return version;
    }
  }

  /** Marks commands that need the {@link CliEnvironment}. */
  interface EnvironmentAware {
    void setEnvironment(CliEnvironment environment);
  }

  /** What the CLI reads from the outside world, so tests can replace it. */
  record CliEnvironment(Map<String, String> env, Path userHome, Path workingDir, Clock clock) {
    static CliEnvironment system() {
      return new CliEnvironment(
          System.getenv(),
          Path.of(System.getProperty("user.home")),
          Path.of("").toAbsolutePath(),
          Clock.systemUTC());
    }

    /**
     * The settings: this JVM's system properties, else {@link #env}, as everywhere in nitro-emu.
     */
    NitroSettings settings() {
      return NitroSettings.of(System::getProperty, env::get);
    }

    /** {@code ${NITRO_EMU_HOME:-~/.nitro-emu}} (or the system property {@code nitro.emu.home}). */
    Path home() {
      return settings()
          .get("nitro.emu.home")
          .map(this::resolve)
          .orElse(userHome.resolve(".nitro-emu"));
    }

    /** The default CA directory, {@code <home>/ca}. */
    Path defaultCaDir() {
      return home().resolve("ca");
    }

    /** Resolves a path given on the command line against the working directory. */
    Path resolve(String path) {
      return workingDir.resolve(path);
    }
  }
}

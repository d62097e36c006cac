package dev.nitroemu.cli;

import dev.nitroemu.enclave.NitroSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code nitro-emu} command: the entry point that composes the emulator libraries. */
@Command(
    name = "nitro-emu",
    mixinStandardHelpOptions = true,
    versionProvider = NitroEmu.Version.class,
    description = "Emulates AWS Nitro Enclaves: NSM attestation documents, their verification and the emulator CA.",
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
      AuditCommand.class
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
    System.exit(execute(CliEnvironment.system(), new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
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
    cli.setParameterExceptionHandler(
        (ex, args2) -> {
          CommandLine cmd = ex.getCommandLine();
          cmd.getErr().println("nitro-emu: " + ex.getMessage());
          cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
          return 2;
        });
    return cli.execute(args);
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

  /** Prints the version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = NitroEmu.class.getPackage().getImplementationVersion();
      return new String[] {"nitro-emu " + (v == null ? "dev" : v)};
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
          System.getenv(), Path.of(System.getProperty("user.home")), Path.of("").toAbsolutePath(), Clock.systemUTC());
    }

    /** The settings: this JVM's system properties, else {@link #env}, as everywhere in nitro-emu. */
    NitroSettings settings() {
      return NitroSettings.of(System::getProperty, env::get);
    }

    /** {@code ${NITRO_EMU_HOME:-~/.nitro-emu}} (or the system property {@code nitro.emu.home}). */
    Path home() {
      return settings().get("nitro.emu.home").map(this::resolve).orElse(userHome.resolve(".nitro-emu"));
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

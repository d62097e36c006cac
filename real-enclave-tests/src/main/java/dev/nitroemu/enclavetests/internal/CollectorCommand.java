package dev.nitroemu.enclavetests.internal;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.enclavetests.BootstrapServer;
import dev.nitroemu.enclavetests.CollectorOutcome;
import dev.nitroemu.enclavetests.EnclaveBootstrap;
import dev.nitroemu.enclavetests.ResultCollector;
import dev.nitroemu.enclavetests.internal.CommandArguments.UsageException;
import dev.nitroemu.vsock.FramedMessageServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code ResultCollector} command line: the collector, and optionally on the same vsock
 * transport the parent's echo service and the bootstrap server that hands the enclave its
 * credentials.
 */
public final class CollectorCommand {

  static final String USAGE =
      String.join(
          "\n",
          "usage: ResultCollector --reports-dir DIR [--port N | --listen vsock://CID:PORT] [--timeout 30m] [--runs N]",
          "                       [--echo-port N] [--bootstrap-port N [--enclave-cid N] [--credentials-stdin]",
          "                        [--property NAME=VALUE]... [--property-file NAME=FILE]...]",
          "  --port           results port on every CID (default "
              + ResultCollector.DEFAULT_PORT
              + ")",
          "  --echo-port      also answer each length-prefixed frame with itself (the vsock echo suite)",
          "  --bootstrap-port also hand the enclave its bootstrap once: instance-role credentials read as",
          "                   the instance metadata JSON from standard input (--credentials-stdin) and",
          "                   nitro.*/aws.* properties (--property-file puts a file's text in a property)",
          "  --enclave-cid    answer bootstrap requests only from this CID",
          "  transport: nitro.mode / NITRO_MODE (real: AF_VSOCK; emulated: NITRO_VSOCK_MAP); on the parent",
          "  instance set NITRO_MODE=real (auto needs /dev/nsm, which only enclaves have)",
          "  exit: 0 passed, 1 a test failed, 2 usage, 3 no results, 4 incomplete run");

  private static final Set<String> OPTIONS =
      Set.of(
          "reports-dir",
          "port",
          "listen",
          "timeout",
          "runs",
          "echo-port",
          "bootstrap-port",
          "enclave-cid",
          "property",
          "property-file");
  private static final Set<String> FLAGS = Set.of("credentials-stdin", "help");
  private static final int MAX_CREDENTIALS_INPUT = 64 * 1024;

  private CollectorCommand() {}

  /** Runs the command; returns the exit code. */
  public static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err) {
    CommandArguments arguments;
    try {
      arguments = CommandArguments.parse(Arrays.asList(args), OPTIONS, FLAGS);
      if (arguments.flag("help")) {
        out.println(USAGE);
        return 0;
      }
      if (arguments.one("reports-dir") == null) {
        throw new UsageException("--reports-dir is required");
      }
      if (arguments.one("port") != null && arguments.one("listen") != null) {
        throw new UsageException("give --port or --listen, not both");
      }
    } catch (UsageException e) {
      err.println("nitro-collector: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    VsockTransport transport;
    try {
      transport = VsockTransport.forMode(NitroMode.current());
    } catch (IOException | IllegalArgumentException e) {
      err.println("nitro-collector: " + e.getMessage());
      return 2;
    }
    try {
      return run(arguments, transport, stdin, out, err);
    } catch (UsageException e) {
      err.println("nitro-collector: " + e.getMessage());
      err.println(USAGE);
      return 2;
    } catch (IOException | IllegalArgumentException e) {
      err.println("nitro-collector: " + e.getMessage());
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("nitro-collector: interrupted");
      return 2;
    } finally {
      if (transport instanceof AutoCloseable closeable) {
        Closeables.closeQuietly(closeable); // Exiting anyway.
      }
    }
  }

  private static int run(
      CommandArguments arguments,
      VsockTransport transport,
      InputStream stdin,
      PrintStream out,
      PrintStream err)
      throws UsageException, IOException, InterruptedException {
    VsockAddress listen =
        arguments.one("listen") != null
            ? VsockAddress.parse(arguments.one("listen").trim())
            : VsockAddress.anyCid(arguments.vsockPort("port", ResultCollector.DEFAULT_PORT));
    EnclaveBootstrap bootstrap =
        arguments.one("bootstrap-port") == null ? null : bootstrap(arguments, stdin);
    try (ResultCollector collector =
            ResultCollector.builder(transport)
                .listenAddress(listen)
                .reportsDir(Path.of(arguments.one("reports-dir")))
                .timeout(arguments.duration("timeout", ResultCollector.DEFAULT_TIMEOUT))
                .expectedRuns(arguments.integer("runs", 1, 1, ResultCollector.MAX_RUNS))
                .build()
                .start();
        FramedMessageServer echo = echo(arguments, transport);
        BootstrapServer bootstrapServer =
            bootstrap == null ? null : bootstrapServer(arguments, transport, bootstrap)) {
      out.println(
          "nitro-collector: results on "
              + collector.localAddress()
              + ", reports in "
              + collector.reportsDir());
      if (echo != null) {
        out.println("nitro-collector: echo on " + echo.localAddress());
      }
      if (bootstrapServer != null) {
        out.println(
            "nitro-collector: bootstrap on "
                + bootstrapServer.localAddress()
                + " ("
                + (bootstrap.credentials() == null ? "no credentials" : "credentials")
                + ", properties "
                + bootstrap.properties().keySet()
                + ")");
      }
      out.println("nitro-collector: ready");
      CollectorOutcome outcome = collector.awaitOutcome();
      (outcome.exitCode() == 0 ? out : err).println("nitro-collector: " + outcome.summary());
      for (Path report : outcome.reports()) {
        out.println("nitro-collector: wrote " + report);
      }
      return outcome.exitCode();
    }
  }

  private static FramedMessageServer echo(CommandArguments arguments, VsockTransport transport)
      throws UsageException, IOException {
    if (arguments.one("echo-port") == null) {
      return null;
    }
    return FramedMessageServer.builder(transport, request -> request)
        .listenAddress(VsockAddress.anyCid(arguments.vsockPort("echo-port", 0)))
        .limits(ConnectionLimits.DEFAULT.withMaxConnections(4))
        .build()
        .start();
  }

  private static BootstrapServer bootstrapServer(
      CommandArguments arguments, VsockTransport transport, EnclaveBootstrap bootstrap)
      throws UsageException, IOException {
    BootstrapServer.Builder builder =
        BootstrapServer.builder(transport, bootstrap)
            .listenAddress(VsockAddress.anyCid(arguments.vsockPort("bootstrap-port", 0)));
    if (arguments.one("enclave-cid") != null) {
      builder.allowedCid(arguments.vsockCid("enclave-cid", VsockAddress.CID_ANY));
    }
    return builder.build().start();
  }

  private static EnclaveBootstrap bootstrap(CommandArguments arguments, InputStream stdin)
      throws UsageException, IOException {
    Map<String, String> properties = new TreeMap<>();
    for (String pair : arguments.all("property")) {
      int equals = pair.indexOf('=');
      if (equals <= 0) {
        throw new UsageException("--property takes NAME=VALUE, was '" + pair + "'");
      }
      properties.put(pair.substring(0, equals), pair.substring(equals + 1));
    }
    for (String pair : arguments.all("property-file")) {
      int equals = pair.indexOf('=');
      if (equals <= 0) {
        throw new UsageException("--property-file takes NAME=FILE, was '" + pair + "'");
      }
      Path file = Path.of(pair.substring(equals + 1));
      if (Files.size(file) > EnclaveBootstrap.MAX_VALUE_LENGTH) {
        throw new UsageException(
            "--property-file " + file + " is larger than " + EnclaveBootstrap.MAX_VALUE_LENGTH);
      }
      properties.put(pair.substring(0, equals), Files.readString(file, StandardCharsets.UTF_8));
    }
    EnclaveBootstrap.Credentials credentials = null;
    if (arguments.flag("credentials-stdin")) {
      byte[] input = stdin.readNBytes(MAX_CREDENTIALS_INPUT + 1);
      if (input.length > MAX_CREDENTIALS_INPUT) {
        throw new UsageException(
            "credentials on standard input exceed " + MAX_CREDENTIALS_INPUT + " bytes");
      }
      credentials = EnclaveBootstrap.Credentials.fromInstanceMetadata(input);
    }
    return new EnclaveBootstrap(credentials, properties);
  }
}

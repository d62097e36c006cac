package dev.nitroemu.cli;

import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.kms.AuditRotation;
import dev.nitroemu.kms.KmsTlsCa;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.HybridVsockServices;
import dev.nitroemu.vsock.ProxyAllowlistException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu start}: runs the emulator stack (the NSM served over emulated vsock, the KMS
 * mock and its vsock-proxy, further vsock-proxies) until Ctrl-C, SIGTERM or {@code nitro-emu stop};
 * in the foreground, or with {@code --detach} in the background once it is ready.
 */
@Command(
    name = "start",
    mixinStandardHelpOptions = true,
    header =
        "Runs the emulator stack: the NSM on vsock, the KMS mock (HTTP and vsock-proxy), vsock-proxies.",
    description = {
      "Serves the NSM device protocol on vsock://3:"
          + NsmVsockServer.DEFAULT_PORT
          + ", the KMS mock on http://127.0.0.1:"
          + StartCommand.DEFAULT_KMS_PORT
          + " (for enclaves: vsock://3:"
          + StartCommand.DEFAULT_KMS_PROXY_PORT
          + " through a vsock-proxy) and one vsock-proxy per --proxy, over the emulated vsock network.",
      "Enclave apps in other processes find them through the mapping file (eval \"$(nitro-emu env)\" exports"
          + " NITRO_VSOCK_MAP and the AWS settings for KMS).",
      "KMS keys, aliases and policies persist in <state-dir>/kms across restarts unless --ephemeral; every KMS"
          + " call is audited to <state-dir>/kms-audit.jsonl (nitro-emu audit).",
      "One stack per state directory. Stop with Ctrl-C, SIGTERM or nitro-emu stop."
    })
final class StartCommand extends CliCommand {
  /** TCP port of the KMS mock unless {@code --kms-port} says otherwise. */
  static final int DEFAULT_KMS_PORT = 4599;

  /** The vsock port enclaves reach KMS on, as AWS's standard vsock-proxy for KMS. */
  static final long DEFAULT_KMS_PROXY_PORT = 8000;

  /** The line a stack prints once it serves; {@code --detach} waits for it. */
  static final String READY_LINE = "nitro-emu: ready";

  @Mixin StateDirOption stateDir;

  @Mixin StackServiceOptions serviceOptions;

  @Option(
      names = {"-d", "--detach"},
      description = "run in the background: return once the stack is ready, printing its endpoints")
  boolean detach;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "120",
      description =
          "with --detach, how long to wait for the stack to be ready (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Option(
      names = "--ephemeral",
      description =
          "keep KMS keys in memory only, gone when the stack stops (default: kept in <state-dir>/kms)")
  boolean ephemeral;

  @Option(
      names = "--kms-keys",
      paramLabel = "DIR",
      description =
          "create a KMS key per DIR/*.json declaration ({\"alias\", \"policy\"} with $${PCR0}, $${ACCOUNT_ID}, $${REGION}), as @NitroEnclaveTest(kmsKeys) does; an alias kept from an earlier start keeps its key and gets the policy again")
  String kmsKeys;

  @Option(
      names = "--profile",
      paramLabel = "FILE.json",
      description = "nitro-cli build-enclave/describe-eif output")
  String profile;

  @Option(
      names = "--eif",
      paramLabel = "FILE",
      description =
          "boot with this EIF's PCR0/1/2 (and PCR8 when signed), measured as nitro-cli does; replaces --profile")
  String eif;

  @Option(names = "--debug", description = "debug-mode enclave: PCR0/1/2/8 are zero")
  boolean debug;

  @Option(
      names = "--ca",
      paramLabel = "DIR",
      description = "emulator CA directory (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/ca)")
  String caDir;

  @Option(
      names = "--endpoints-file",
      paramLabel = "FILE",
      description = "where to write the endpoints JSON (default: <state-dir>/endpoints.json)")
  String endpointsFile;

  @Option(
      names = "--vsock-dir",
      paramLabel = "DIR",
      defaultValue = "${env:NITRO_EMU_VSOCK_DIR}",
      description =
          "(default: $NITRO_EMU_VSOCK_DIR) also serve the NSM and the KMS proxy to one enclave over hybrid vsock: Unix sockets in DIR (e.g. a volume shared with an enclave container)")
  String vsockDir;

  @Option(
      names = "--enclave-cid",
      paramLabel = "CID",
      defaultValue = "16",
      description = "with --vsock-dir, the CID of the enclave in DIR (default: ${DEFAULT-VALUE})")
  long enclaveCid;

  @Override
  public void run() {
    int kmsWorkers = serviceOptions.kmsProxyWorkers();
    serviceOptions.auditRotation(); // bad values stop here, before --detach or the lock
    List<ProxySpec> proxySpecs = serviceOptions.proxySpecs();
    Path state = stateDir.resolve(env);
    if (detach) {
      DetachedStart.launch(
          env,
          state,
          spec.commandLine().getParseResult().originalArgs(),
          Duration.ofSeconds(Math.max(1, timeoutSeconds)),
          spec.commandLine().getOut());
      return;
    }
    Path ca = caDir == null ? env.defaultCaDir() : env.resolve(caDir);
    EmulatorRootCa root =
        caDir == null ? CliSupport.loadOrCreateCa(env, ca) : CliSupport.loadCa(ca);
    EnclaveProfile enclave = eif != null ? eifProfile(eif) : CliSupport.profile(env, profile);
    if (debug) {
      enclave = enclave.toBuilder().debug(true).build();
    }
    PrintWriter out = spec.commandLine().getOut();
    // The lock before any file: a second stack on this directory stops here, having touched nothing
    // of the
    // first. Foreground is opened first so that it is closed last, after the stack and the lock.
    try (Foreground foreground = new Foreground();
        StateDirectory owned = StateDirectory.lock(state)) {
      Path endpoints =
          endpointsFile == null
              ? StateDirectory.endpointsFile(owned.path())
              : env.resolve(endpointsFile);
      resetFiles(owned);
      Path tlsCaPem =
          serviceOptions.kmsTls
              ? env.home().resolve("kms-tls").resolve(KmsTlsCa.CERTIFICATE_FILE)
              : null;
      EnclaveEnvironment.Builder builder =
          EnclaveEnvironment.builder()
              .mode(NitroMode.EMULATED)
              .profile(enclave)
              .rootCa(root)
              .clock(env.clock())
              .services(
                  serviceOptions.services(owned, proxySpecs, ephemeral, env, out).toBuilder()
                      .kmsProxyWorkers(kmsWorkers)
                      .build());
      if (kmsKeys != null) {
        builder.kmsKeyDirectory(env.resolve(kmsKeys));
      }
      try (EnclaveEnvironment stack = startStack(builder);
          AutoCloseable hybrid = hybridServices(stack, kmsWorkers);
          EnclaveHosting enclaves =
              EnclaveHosting.start(stack, owned.path(), spec.commandLine().getErr())) {
        StackEndpoints described =
            StackEndpoints.describe(stack, owned.mappingFile(), ca.resolve("root.pem"), tlsCaPem)
                .withOwner(
                    owned.path(),
                    ProcessHandle.current().pid(),
                    !ephemeral,
                    StateDirectory.auditFile(owned.path()))
                .withEnclave(
                    eif != null
                        ? "EIF " + env.resolve(eif)
                        : profile == null ? "built-in default" : env.resolve(profile).toString(),
                    enclave.debug());
        described.write(endpoints);
        described.print(out);
        out.printf(
            "endpoints written to %s; stop with Ctrl-C or 'nitro-emu stop%s'%n",
            endpoints, stateDir.given() ? " --state-dir " + owned.path() : "");
        out.println(READY_LINE);
        out.flush();
        foreground.await();
        out.println("nitro-emu: stopping");
        out.flush();
        Files.deleteIfExists(endpoints);
      }
    } catch (CliFailure e) {
      throw e;
    } catch (Exception e) {
      throw new CliFailure("start: " + e.getMessage());
    }
  }

  /**
   * A fresh stack starts with no mappings and, when ephemeral, a fresh audit log (its rotated files
   * too); links are removed, not followed.
   */
  private void resetFiles(StateDirectory owned) {
    try {
      Files.deleteIfExists(owned.mappingFile());
      if (ephemeral) {
        Path audit = StateDirectory.auditFile(owned.path());
        Files.deleteIfExists(audit);
        for (int n = 1; n <= AuditRotation.MAX_KEEP; n++) {
          Files.deleteIfExists(AuditRotation.rotatedFile(audit, n));
        }
      }
    } catch (IOException e) {
      throw new CliFailure(
          "cannot prepare state directory " + owned.path() + ": " + e.getMessage());
    }
  }

  /**
   * With {@code --vsock-dir}: the NSM and KMS proxy served to the enclave in that directory too.
   */
  private AutoCloseable hybridServices(EnclaveEnvironment stack, int kmsWorkers) {
    if (vsockDir == null) {
      return () -> {};
    }
    Path directory = env.resolve(vsockDir);
    try {
      Files.createDirectories(directory);
      HybridVsockServices served =
          HybridVsockServices.start(
              HybridVsockTransport.parent(
                  directory, HybridVsockTransport.DEFAULT_BASE_NAME, enclaveCid),
              stack.nsm(),
              stack.info().kmsEndpoint(),
              serviceOptions.nsmPort(),
              serviceOptions.kmsProxyPort(),
              kmsWorkers);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("hybrid vsock: %s (enclave CID %d)%n", directory, enclaveCid);
      return served;
    } catch (IOException | RuntimeException e) {
      throw new CliFailure("--vsock-dir " + vsockDir + ": " + e.getMessage());
    }
  }

  /** Starts the stack, turning its failures into one-line CLI errors. */
  private static EnclaveEnvironment startStack(EnclaveEnvironment.Builder builder) {
    try {
      return builder.start();
    } catch (UncheckedIOException e) {
      IOException cause = e.getCause();
      if (cause instanceof ProxyAllowlistException) {
        throw new CliFailure("--proxy: " + cause.getMessage());
      }
      throw new CliFailure("start: " + cause.getMessage());
    } catch (IllegalArgumentException e) {
      throw new CliFailure("start: " + e.getMessage(), 2);
    }
  }

  /** The profile of an intact EIF; a damaged or foreign file is one line and exit 1. */
  private EnclaveProfile eifProfile(String file) {
    DescribeEifCommand.readIntact(file, env);
    try {
      return EnclaveProfile.fromEif(env.resolve(file));
    } catch (IOException e) {
      throw new CliFailure(file + ": " + e.getMessage());
    }
  }
}

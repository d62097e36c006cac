package dev.nitroemu.enclavetests;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.enclavetests.internal.CollectedRun;
import dev.nitroemu.enclavetests.internal.CollectionReport;
import dev.nitroemu.enclavetests.internal.CollectorCommand;
import dev.nitroemu.enclavetests.internal.ResultCodec;
import dev.nitroemu.enclavetests.internal.ResultEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parent-side end of the result stream: listens on a vsock port, takes the runs that {@link
 * VsockResultStreamer}s send, and writes them as JUnit XML, one {@code TEST-<class>.xml} per test
 * class, under a reports directory.
 *
 * <p>{@link #awaitOutcome()} returns once the expected number of runs ended (finished, or cut off:
 * a runner cannot resume a run) or the timeout passed, and gives a verdict whose exit code is
 * non-zero on any failure, on no results, and on a cut-off run. Stream problems also appear in the
 * XML, as errors of the suite {@value #SELF_SUITE}, so a CI test report shows them. Everything read
 * from the wire is bounded: frames ({@value ResultCodec#MAX_FRAME_SIZE} bytes), bytes and results
 * per run, runs, concurrent connections ({@value #MAX_CONCURRENT_CONNECTIONS}; more are closed at
 * once). A run may stay silent (a slow test) until the collector's timeout, no longer. The accept
 * loop is {@link StreamServer}'s.
 *
 * <p>Run {@code java dev.nitroemu.enclavetests.ResultCollector --help} for the command line.
 */
public final class ResultCollector implements AutoCloseable {

  /** The vsock port the nightly scripts use for results. */
  public static final long DEFAULT_PORT = 5005;

  /** Default time to wait for the expected runs. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(30);

  /** Most results accepted in one run. */
  public static final int MAX_RESULTS_PER_RUN = 100_000;

  /** Most bytes accepted in one run. */
  public static final long MAX_BYTES_PER_RUN = 64L * 1024 * 1024;

  /** Most connections (runs) accepted in total. */
  public static final int MAX_RUNS = 64;

  /** Most connections served at once; more are closed at once. */
  public static final int MAX_CONCURRENT_CONNECTIONS = 8;

  /** The suite under which stream problems are reported in the XML. */
  public static final String SELF_SUITE = "nitro-result-collector";

  private final Path reportsDir;
  private final Duration timeout;
  private final int expectedRuns;
  private final Clock clock;
  private final Object lock = new Object();
  private final List<CollectedRun> runs = new ArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final CountDownLatch endedRuns;
  private final StreamServer<VsockConnection, VsockAddress> server;
  private boolean started;
  private Instant deadline;
  private boolean sealed;
  private CollectorOutcome outcome;

  private ResultCollector(Builder builder) {
    this.reportsDir = builder.reportsDir;
    this.timeout = builder.timeout;
    this.expectedRuns = builder.expectedRuns;
    this.clock = builder.clock;
    this.endedRuns = new CountDownLatch(expectedRuns);
    VsockTransport transport = builder.transport;
    VsockAddress address = builder.listenAddress;
    this.server =
        StreamServer.builder("nitro-result-collector", () -> transport.listen(address), this::read)
            .limits(new ConnectionLimits(MAX_CONCURRENT_CONNECTIONS, timeout))
            .build();
  }

  /** A builder for a collector listening through {@code transport}. */
  public static Builder builder(VsockTransport transport) {
    return new Builder(transport);
  }

  /**
   * The command line; exits with the verdict's code (see {@link CollectorOutcome.Status}), 2 for
   * bad usage.
   */
  public static void main(String[] args) {
    System.exit(CollectorCommand.run(args, System.in, System.out, System.err));
  }

  /**
   * Removes earlier {@code TEST-*.xml} files from the reports directory, binds the listener and
   * starts accepting runs; the timeout counts from here.
   *
   * @throws IllegalStateException if already started
   */
  public ResultCollector start() throws IOException {
    synchronized (lock) {
      if (started || sealed) {
        throw new IllegalStateException("start() already called");
      }
      Files.createDirectories(reportsDir);
      try (DirectoryStream<Path> stale = Files.newDirectoryStream(reportsDir, "TEST-*.xml")) {
        for (Path file : stale) {
          Files.delete(file);
        }
      }
      deadline = clock.instant().plus(timeout);
      server.start();
      started = true;
      return this;
    }
  }

  /** The bound address (with the concrete port). */
  public VsockAddress localAddress() {
    return server.localAddress();
  }

  /** Where the XML goes. */
  public Path reportsDir() {
    return reportsDir;
  }

  /**
   * Waits until the expected runs ended (finished or cut off) or the timeout passed, stops
   * listening, writes the reports and returns the verdict; later calls return the same outcome.
   */
  public CollectorOutcome awaitOutcome() throws IOException, InterruptedException {
    synchronized (lock) {
      if (!started) {
        throw new IllegalStateException("call start() first");
      }
      if (outcome != null) {
        return outcome;
      }
    }
    Duration left = Duration.between(clock.instant(), deadline);
    boolean allEnded =
        !left.isNegative() && endedRuns.await(left.toMillis(), TimeUnit.MILLISECONDS);
    synchronized (lock) {
      // Sealed first, so connections cut by closing the server below add nothing and report no
      // problem.
      sealed = true;
    }
    server.close();
    synchronized (lock) {
      outcome = CollectionReport.write(runs, allEnded, expectedRuns, timeout, reportsDir, clock);
      return outcome;
    }
  }

  /** Stops listening and drops open connections without writing reports; idempotent. */
  @Override
  public void close() {
    server.close();
  }

  /** Serves one connection: one run's stream of events. */
  private void read(VsockConnection connection, StreamServer.Slot slot) {
    if (accepted.incrementAndGet() > MAX_RUNS) {
      return; // More runs than any nightly sends: closed unread.
    }
    CollectedRun run = new CollectedRun(connection.remoteAddress().toString());
    synchronized (lock) {
      if (sealed) {
        return;
      }
      runs.add(run);
    }
    try {
      Duration left = Duration.between(clock.instant(), deadline);
      connection.readTimeout(left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left);
      InputStream in = connection.inputStream();
      while (true) {
        byte[] frame = Frames.read(in, ResultCodec.MAX_FRAME_SIZE);
        if (frame == null) {
          synchronized (lock) {
            if (!run.finished() && !sealed) {
              run.problem(
                  "run from "
                      + run.peer()
                      + " ended after "
                      + run.results().size()
                      + " results without runFinished");
            }
          }
          return;
        }
        ResultEvent event = ResultCodec.decode(frame);
        synchronized (lock) {
          if (sealed || !accept(run, event, frame.length)) {
            return;
          }
        }
      }
    } catch (IOException e) {
      synchronized (lock) {
        if (!run.finished() && !sealed) {
          run.problem("run from " + run.peer() + " broke off: " + e.getMessage());
        }
      }
    } finally {
      synchronized (lock) {
        // A run that started counts as over however it ended: its runner cannot resume it.
        if (run.header() != null && run.markEnded()) {
          endedRuns.countDown();
        }
      }
    }
  }

  /** Applies one event under the lock; false stops reading this connection. */
  private boolean accept(CollectedRun run, ResultEvent event, int frameLength) {
    if (run.addBytes(frameLength + Frames.HEADER_SIZE) > MAX_BYTES_PER_RUN) {
      run.problem("run from " + run.peer() + " sent more than " + MAX_BYTES_PER_RUN + " bytes");
      return false;
    }
    if (run.finished()) {
      return false;
    }
    if (run.header() == null) {
      if (event instanceof ResultEvent.RunStarted started) {
        run.header(started);
        return true;
      }
      run.problem("run from " + run.peer() + " did not start with runStarted");
      return false;
    }
    if (event instanceof ResultEvent.TestFinished finished) {
      if (run.results().size() >= MAX_RESULTS_PER_RUN) {
        run.problem(
            "run " + run.header().runId() + " sent more than " + MAX_RESULTS_PER_RUN + " results");
        return false;
      }
      run.results().add(finished.result());
      return true;
    }
    if (event instanceof ResultEvent.RunFinished end) {
      int failed = (int) run.results().stream().filter(r -> r.status().isFailure()).count();
      int skipped = (int) run.results().stream().filter(r -> r.status().isSkipped()).count();
      if (end.tests() != run.results().size()
          || end.failures() != failed
          || end.skipped() != skipped) {
        run.problem(
            "run "
                + run.header().runId()
                + " reported "
                + end.tests()
                + " results, "
                + end.failures()
                + " failures, "
                + end.skipped()
                + " skipped but sent "
                + run.results().size()
                + ", "
                + failed
                + ", "
                + skipped);
      }
      run.markFinished();
      return false;
    }
    run.problem("run " + run.header().runId() + " sent a second runStarted");
    return false;
  }

  /** Configures a {@link ResultCollector}. */
  public static final class Builder {
    private final VsockTransport transport;
    private VsockAddress listenAddress = VsockAddress.anyCid(DEFAULT_PORT);
    private Path reportsDir;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int expectedRuns = 1;
    private Clock clock = Clock.systemUTC();

    private Builder(VsockTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
    }

    /**
     * Where to listen (default {@code vsock://4294967295:5005}, every CID); port {@code PORT_ANY}
     * picks one.
     */
    public Builder listenAddress(VsockAddress address) {
      this.listenAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /** The directory for the XML files (created if missing); required. */
    public Builder reportsDir(Path dir) {
      this.reportsDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** How long {@link #awaitOutcome()} waits for the expected runs (default 30 minutes). */
    public Builder timeout(Duration duration) {
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + duration);
      }
      this.timeout = duration;
      return this;
    }

    /** How many runs must end (finish or break off) to end the wait (default 1). */
    public Builder expectedRuns(int count) {
      if (count < 1 || count > MAX_RUNS) {
        throw new IllegalArgumentException(
            "expected runs must be in 1.." + MAX_RUNS + ", was " + count);
      }
      this.expectedRuns = count;
      return this;
    }

    /** The clock for the timeout and report timestamps (default UTC system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The collector, not yet started. */
    public ResultCollector build() {
      if (reportsDir == null) {
        throw new IllegalStateException("call reportsDir(...) first");
      }
      return new ResultCollector(this);
    }
  }
}

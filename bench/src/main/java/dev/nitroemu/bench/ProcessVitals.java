package dev.nitroemu.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of what a long run can leak: open file descriptors (the entries of {@code
 * /proc/self/fd} and what each points at), live threads by name, and heap in use, optionally after
 * a full GC.
 *
 * @param fds open file descriptors, or -1 where {@code /proc/self/fd} does not exist
 * @param fdTargets what the descriptors point at ("socket:[123]", a path, ...), with how many point
 *     there
 * @param threads live threads
 * @param threadNames the live threads' names, with how many share each name
 * @param heapUsedBytes heap in use when sampled
 */
record ProcessVitals(
    int fds,
    Map<String, Integer> fdTargets,
    int threads,
    Map<String, Integer> threadNames,
    long heapUsedBytes) {

  private static final Path PROC_FD = Path.of("/proc/self/fd");

  /**
   * Samples now; with {@code afterGc}, heap is measured after {@link System#gc()} (twice, to settle
   * finalizers).
   */
  static ProcessVitals sample(boolean afterGc) {
    if (afterGc) {
      System.gc();
      System.gc();
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    Map<String, Integer> names = new TreeMap<>();
    Thread.getAllStackTraces()
        .keySet()
        .forEach(t -> names.merge(t.getName().replaceAll("\\d+", "#"), 1, Integer::sum));
    int threads = names.values().stream().mapToInt(Integer::intValue).sum();
    Map<String, Integer> targets = new TreeMap<>();
    int fds = -1;
    if (Files.isDirectory(PROC_FD)) {
      fds = 0;
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC_FD)) {
        for (Path fd : entries) {
          fds++;
          targets.merge(target(fd), 1, Integer::sum);
        }
      } catch (IOException e) {
        fds = -1;
      }
    }
    return new ProcessVitals(fds, targets, threads, names, heap);
  }

  /** Heap in use, in MiB with one decimal. */
  String heapMib() {
    return String.format("%.1f MiB", heapUsedBytes / (1024.0 * 1024.0));
  }

  /** One line: descriptors, threads, heap. */
  String summary() {
    return "fds=" + fds + " threads=" + threads + " heap=" + heapMib();
  }

  /** The {@code n} most common thread names (digits as {@code #}), with their counts. */
  String topThreads(int n) {
    return threadNames.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(n)
        .map(e -> e.getValue() + " x " + e.getKey())
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /**
   * What {@code later} has more of than this snapshot: descriptor targets and thread names, for a
   * leak report.
   */
  List<String> growthIn(ProcessVitals later) {
    List<String> grown = new ArrayList<>();
    diff("fd", fdTargets, later.fdTargets, grown);
    diff("thread", threadNames, later.threadNames, grown);
    return grown;
  }

  private static void diff(
      String what, Map<String, Integer> before, Map<String, Integer> after, List<String> out) {
    after.forEach(
        (name, count) -> {
          int extra = count - before.getOrDefault(name, 0);
          if (extra > 0) {
            out.add(what + " +" + extra + " " + name);
          }
        });
  }

  /** Sockets and pipes as their kind (their inode numbers change), files by path. */
  private static String target(Path fd) {
    try {
      String target = Files.readSymbolicLink(fd).toString();
      return target.replaceAll("^(socket|pipe):\\[\\d+]$", "$1");
    } catch (IOException | UnsupportedOperationException e) {
      return "(closed while listing)";
    }
  }
}

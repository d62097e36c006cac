package dev.nitroemu.bench;

/**
 * One client thread's work in the soak: {@link #step()} runs one call (tallied, never throwing)
 * until the run ends.
 */
@FunctionalInterface
interface SoakWorker {

  /** Runs one call and tallies it. */
  void step();

  /** Closes what the worker holds open; called once, after its last step. */
  default void close() {}
}

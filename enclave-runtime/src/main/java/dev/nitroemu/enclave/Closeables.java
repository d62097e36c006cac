package dev.nitroemu.enclave;

/** Closing resources on paths where a failure to close has nobody left to report to. */
public final class Closeables {

  private Closeables() {}

  /**
   * Closes {@code resource}, ignoring null and swallowing whatever {@code close()} throws: for
   * tearing down after a failure that is already being reported, or on the way out. An interrupt
   * that {@code close()} reports as {@link InterruptedException} is restored on the current thread.
   */
  public static void closeQuietly(AutoCloseable resource) {
    if (resource == null) {
      return;
    }
    try {
      resource.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception ignored) {
      // Nothing is left to do with a resource that fails to close.
    }
  }

  /**
   * Closes {@code resource} after {@code failure}, attaching anything {@code close()} throws to it
   * as a suppressed exception (as try-with-resources does), and returns {@code failure} for
   * rethrowing.
   */
  public static <T extends Throwable> T closeAfter(AutoCloseable resource, T failure) {
    if (resource == null) {
      return failure;
    }
    try {
      resource.close();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      failure.addSuppressed(e);
    }
    return failure;
  }
}

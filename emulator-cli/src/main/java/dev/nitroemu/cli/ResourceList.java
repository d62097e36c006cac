package dev.nitroemu.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Closes a growing list of resources in reverse order, keeping the first failure. */
final class ResourceList<T extends AutoCloseable> implements AutoCloseable {
  private final List<T> items = new ArrayList<>();

  /** Adds a resource to close later and returns it. */
  <R extends T> R add(R item) {
    items.add(item);
    return item;
  }

  List<T> items() {
    return Collections.unmodifiableList(items);
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (int i = items.size() - 1; i >= 0; i--) {
      try {
        items.get(i).close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}

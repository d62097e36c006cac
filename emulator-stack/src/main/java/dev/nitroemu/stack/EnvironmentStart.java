package dev.nitroemu.stack;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.stack.internal.ClasspathResources;
import dev.nitroemu.stack.internal.Closer;
import dev.nitroemu.stack.internal.DeclaredKmsKey;
import dev.nitroemu.stack.internal.ProfileResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Starts what an {@link EnclaveEnvironment.Builder} configures: picks the mode, resolves the
 * profile, declared keys and root CA for {@link EnvironmentLauncher}, and serves an {@link
 * EnclaveHost}.
 */
final class EnvironmentStart {

  private EnvironmentStart() {}

  /**
   * Starts the environment {@code builder} configures, in its mode; see {@link
   * EnclaveEnvironment.Builder#start()}.
   */
  static EnclaveEnvironment start(EnclaveEnvironment.Builder builder) {
    NitroMode chosen = builder.mode != null ? builder.mode : builder.settings.mode();
    if (builder.host != null) {
      return startFor(builder, builder.host, chosen);
    }
    ClassLoader loader =
        builder.classLoader != null
            ? builder.classLoader
            : ClasspathResources.defaultLoader(EnclaveEnvironment.class);
    List<DeclaredKmsKey> keys = new ArrayList<>();
    builder.kmsKeys.forEach(source -> keys.addAll(source.apply(loader)));
    boolean profileGiven =
        builder.profile != null
            || builder.profileResource != null
            || builder.eif != null
            || builder.debug != null
            || !builder.pcrs.isEmpty();
    EnclaveProfile resolved =
        profileGiven
            ? ProfileResolver.resolve(
                builder.profile,
                builder.eif,
                builder.profileResource,
                loader,
                builder.debug,
                builder.pcrs)
            : EnclaveProfile.defaultProfile();
    try {
      return chosen == NitroMode.REAL
          ? EnvironmentLauncher.startReal(profileGiven ? resolved : null, keys, builder.settings)
          : EnvironmentLauncher.startEmulated(
              resolved,
              builder.rootCa != null
                  ? builder.rootCa
                  : builder.caDirectory != null
                      ? EnvironmentLauncher.loadRoot(builder.caDirectory)
                      : null,
              builder.clock,
              keys,
              builder.services,
              new Closer());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start the " + chosen.name().toLowerCase(Locale.ROOT) + " enclave environment", e);
    }
  }

  /**
   * Starts an emulated environment measured as {@code enclaveHost}'s plan says and attaches it to
   * the host; the environment is closed again if attaching fails.
   */
  private static EnclaveEnvironment startFor(
      EnclaveEnvironment.Builder builder, EnclaveHost enclaveHost, NitroMode chosen) {
    if (chosen != NitroMode.EMULATED) {
      throw new IllegalStateException(
          "an enclave host ("
              + enclaveHost.getClass().getSimpleName()
              + ") is served by an emulated environment only, but nitro.mode is "
              + chosen);
    }
    EnclaveHost.Plan plan = enclaveHost.plan();
    EnclaveEnvironment.Builder measured = builder.copy();
    measured.host = null;
    measured.mode = NitroMode.EMULATED;
    plan.pcrs().forEach((index, value) -> measured.pcrs.put(index, value.clone()));
    EnclaveEnvironment started = measured.start();
    EnclaveEnvironment environment = started.withInfo(started.info.withEnclaveCid(plan.cid()));
    try {
      enclaveHost.attach(environment);
    } catch (RuntimeException e) {
      started.closer.closeAfter(e);
      throw e;
    }
    return environment;
  }
}

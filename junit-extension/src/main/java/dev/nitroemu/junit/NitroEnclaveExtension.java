package dev.nitroemu.junit;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.stack.EmulatorControls;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.EnclaveHost;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ModifierSupport;
import org.junit.platform.commons.support.ReflectionSupport;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Starts an {@link EnclaveEnvironment} for JUnit Jupiter tests, injects its parts as parameters and
 * lets JUnit close it.
 *
 * <p>Declarative: {@link NitroEnclaveTest}. Programmatic, with {@code @RegisterExtension}: a {@code
 * static} field gives one environment per class, an instance field a fresh one per test.
 *
 * <pre>
 * &#64;RegisterExtension
 * final NitroEnclaveExtension enclave = NitroEnclaveExtension.builder().debug(true).build();
 * </pre>
 *
 * <p>Register at most one per test class: two would compete to resolve the same parameter types.
 */
public final class NitroEnclaveExtension
    implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {

  private static final Namespace NAMESPACE = Namespace.create(NitroEnclaveExtension.class);

  private static final Map<Class<?>, Function<EnclaveEnvironment, Object>> INJECTABLE =
      Map.of(
          Nsm.class, EnclaveEnvironment::nsm,
          AttestationVerifier.class, EnclaveEnvironment::verifier,
          VsockTransport.class, EnclaveEnvironment::transport,
          KmsClient.class, EnclaveEnvironment::kmsClient,
          EnclaveKmsClient.class, EnclaveEnvironment::enclaveKmsClient,
          EnclaveRuntimeInfo.class, EnclaveEnvironment::info,
          EmulatorControls.class, EnclaveEnvironment::controls);

  /**
   * Null when declared with {@link NitroEnclaveTest}: the options then come from the annotation.
   */
  private final EnclaveEnvironment.Builder options;

  /** The declarative form, used by {@link NitroEnclaveTest}; prefer {@link #builder()} in code. */
  public NitroEnclaveExtension() {
    this(null);
  }

  private NitroEnclaveExtension(EnclaveEnvironment.Builder options) {
    this.options = options;
  }

  /** A builder whose options match {@link NitroEnclaveTest}'s attributes. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Class-level registration: one environment for the class, started when its first test needs it,
   * or now when it serves an enclave host (so it is attached before {@code @Testcontainers} starts
   * it).
   */
  @Override
  public void beforeAll(ExtensionContext context) {
    EnvironmentHolder holder = holder(context);
    if (holder.servesEnclaveHost()) {
      holder.get();
    }
  }

  /** Starts the environment now, so a failed start fails the test rather than a parameter. */
  @Override
  public void beforeEach(ExtensionContext context) {
    holder(context).get();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return INJECTABLE.containsKey(parameter.getParameter().getType());
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return INJECTABLE.get(parameter.getParameter().getType()).apply(holder(context).get());
  }

  /**
   * The holder visible from {@code context} (this context's or an enclosing one's), else a new one
   * in this context's store: the class store from beforeAll, the test's store for instance fields.
   * JUnit closes it (an AutoCloseable in the Store) when that context ends, even after failures.
   */
  private EnvironmentHolder holder(ExtensionContext context) {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    return store.getOrComputeIfAbsent(
        this, key -> new EnvironmentHolder(optionsFor(context)), EnvironmentHolder.class);
  }

  private EnclaveEnvironment.Builder optionsFor(ExtensionContext context) {
    Class<?> testClass = context.getRequiredTestClass();
    EnclaveEnvironment.Builder builder =
        options != null
            ? options.copy()
            : AnnotationSupport.findAnnotation(testClass, NitroEnclaveTest.class)
                .map(NitroEnclaveExtension::fromAnnotation)
                .orElseGet(EnclaveEnvironment::builder);
    if (options == null) {
      enclaveHostField(testClass).ifPresent(builder::enclave);
    }
    return builder
        .settings(
            NitroSettings.of(
                key -> context.getConfigurationParameter(key).orElse(null), System::getenv))
        .classLoader(testClass.getClassLoader());
  }

  /**
   * The value of the test class's one static field whose type is an {@link EnclaveHost} (e.g. an
   * {@code @Container static EnclaveContainer}), if it has one.
   */
  static Optional<EnclaveHost> enclaveHostField(Class<?> testClass) {
    List<Field> fields =
        ReflectionSupport.findFields(
            testClass,
            field ->
                ModifierSupport.isStatic(field)
                    && EnclaveHost.class.isAssignableFrom(field.getType()),
            HierarchyTraversalMode.TOP_DOWN);
    if (fields.isEmpty()) {
      return Optional.empty();
    }
    if (fields.size() > 1) {
      throw new IllegalStateException(
          testClass.getName()
              + " has "
              + fields.size()
              + " static enclave fields "
              + fields.stream().map(Field::getName).toList()
              + "; one environment serves one enclave: give each its"
              + " own test class, or use NitroEnclaveExtension.builder().enclave(...) for the one it serves");
    }
    Field field = fields.get(0);
    Object value = ReflectionSupport.tryToReadFieldValue(field, null).toOptional().orElse(null);
    if (value == null) {
      throw new IllegalStateException(
          "the static enclave field "
              + testClass.getSimpleName()
              + "."
              + field.getName()
              + " is null when the class starts; initialize it in its declaration");
    }
    return Optional.of((EnclaveHost) value);
  }

  static EnclaveEnvironment.Builder fromAnnotation(NitroEnclaveTest annotation) {
    EnclaveEnvironment.Builder builder = EnclaveEnvironment.builder();
    if (!annotation.profile().isEmpty()) {
      builder.profile(annotation.profile());
    }
    if (!annotation.eif().isEmpty()) {
      builder.eif(Path.of(annotation.eif()));
    }
    if (annotation.debug()) {
      builder.debug(true);
    }
    if (!annotation.caDirectory().isEmpty()) {
      builder.caDirectory(Path.of(annotation.caDirectory()));
    }
    return builder.pcrs(annotation.pcrs()).kmsKeys(annotation.kmsKeys());
  }

  /**
   * Configures a {@link NitroEnclaveExtension}; each option matches a {@link NitroEnclaveTest}
   * attribute.
   */
  public static final class Builder {
    private final EnclaveEnvironment.Builder options = EnclaveEnvironment.builder();

    private Builder() {}

    /** See {@link EnclaveEnvironment.Builder#profile(String)}. */
    public Builder profile(String resource) {
      options.profile(resource);
      return this;
    }

    /** See {@link EnclaveEnvironment.Builder#profile(EnclaveProfile)}. */
    public Builder profile(EnclaveProfile profile) {
      options.profile(profile);
      return this;
    }

    /** See {@link EnclaveEnvironment.Builder#eif(Path)}. */
    public Builder eif(Path file) {
      options.eif(file);
      return this;
    }

    /** See {@link EnclaveEnvironment.Builder#debug(boolean)}. */
    public Builder debug(boolean debug) {
      options.debug(debug);
      return this;
    }

    /** See {@link EnclaveEnvironment.Builder#pcrs(String...)}. */
    public Builder pcrs(String... entries) {
      options.pcrs(entries);
      return this;
    }

    /** See {@link EnclaveEnvironment.Builder#caDirectory(Path)}. */
    public Builder caDirectory(Path directory) {
      options.caDirectory(directory);
      return this;
    }

    /** See {@link EnclaveEnvironment.Builder#kmsKeys(String...)}. */
    public Builder kmsKeys(String... resources) {
      options.kmsKeys(resources);
      return this;
    }

    /** See {@link EnclaveEnvironment.Builder#kmsKey(String, String)}. */
    public Builder kmsKey(String alias, String policyJson) {
      options.kmsKey(alias, policyJson);
      return this;
    }

    /**
     * See {@link EnclaveEnvironment.Builder#enclave(EnclaveHost)}: the environment boots with the
     * host's measurements and CID, and the extension starts the host (unless it already runs) and
     * stops it before closing the environment. Do not also annotate it {@code @Container}: the
     * {@code @Testcontainers} extension would start it before this one could attach it.
     */
    public Builder enclave(EnclaveHost host) {
      options.enclave(host);
      return this;
    }

    /** The extension; each environment it starts gets its own copy of these options. */
    public NitroEnclaveExtension build() {
      return new NitroEnclaveExtension(options.copy());
    }
  }
}

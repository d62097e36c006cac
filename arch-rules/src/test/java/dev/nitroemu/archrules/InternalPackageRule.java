package dev.nitroemu.archrules;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.util.Optional;

/**
 * The rule that an {@code internal} package is used only by its own module.
 *
 * <p>Below a root package such as {@code dev.nitroemu}, the first package segment names the module
 * ({@code dev.nitroemu.nsm..} is emulator-nsm, {@code dev.nitroemu.enclave..} is enclave-runtime),
 * and any package with an {@code internal} segment below it belongs to that module alone. A class
 * in {@code root.X..} may depend on {@code root.Y..internal..} only when X equals Y. Modules are
 * derived from package names, so a new module is covered without listing it anywhere.
 *
 * <p>ArchUnit reads bytecode: a dependency counts when the class uses the type (field, parameter,
 * call, supertype, annotation, type argument...); an unused import leaves no trace and is not seen.
 */
public final class InternalPackageRule {

  private static final String INTERNAL = "internal";

  private InternalPackageRule() {}

  /** The rule for every class below {@code root} (for example {@code "dev.nitroemu"}). */
  public static ArchRule internalPackagesStayInTheirModule(String root) {
    return ArchRuleDefinition.classes()
        .that()
        .resideInAPackage(root + "..")
        .should(useOnlyTheirOwnModulesInternalPackages(root))
        .because(
            "an internal package is a module's implementation detail: other modules use its public API");
  }

  private static ArchCondition<JavaClass> useOnlyTheirOwnModulesInternalPackages(String root) {
    return new ArchCondition<>("use only their own module's internal packages") {
      @Override
      public void check(JavaClass origin, ConditionEvents events) {
        String module = moduleOf(root, origin.getPackageName()).orElse("");
        for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
          String target = dependency.getTargetClass().getBaseComponentType().getPackageName();
          Optional<String> owner = internalOwner(root, target);
          if (owner.isPresent() && !owner.get().equals(module)) {
            String message =
                String.format(
                    "%s [%s is internal to module '%s', used from module '%s']",
                    dependency.getDescription(), target, owner.get(), module);
            events.add(SimpleConditionEvent.violated(dependency, message));
          }
        }
      }
    };
  }

  /** The module of a package: its first segment below {@code root}, if it is below {@code root}. */
  static Optional<String> moduleOf(String root, String packageName) {
    if (!packageName.startsWith(root + ".")) {
      return Optional.empty();
    }
    String rest = packageName.substring(root.length() + 1);
    int dot = rest.indexOf('.');
    return Optional.of(dot < 0 ? rest : rest.substring(0, dot));
  }

  /** The module that owns a package if the package is internal (has an internal segment). */
  static Optional<String> internalOwner(String root, String packageName) {
    Optional<String> module = moduleOf(root, packageName);
    if (module.isEmpty()) {
      return Optional.empty();
    }
    String[] below = packageName.substring(root.length() + 1).split("\\.");
    for (String segment : below) {
      if (segment.equals(INTERNAL)) {
        return module;
      }
    }
    return Optional.empty();
  }
}

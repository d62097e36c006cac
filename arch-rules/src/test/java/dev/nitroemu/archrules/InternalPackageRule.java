package dev.nitroemu.archrules;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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

  /**
   * A module's use of one internal class of another module that predates the rule and is tolerated
   * until the code is fixed; nested classes count as their top-level class.
   *
   * @param module the using module, e.g. {@code nsm}
   * @param internalClass the used class, e.g. {@code dev.nitroemu.enclave.internal.Pem}
   */
  public record KnownUse(String module, String internalClass) {}

  /** The rule for every class below {@code root} (for example {@code "dev.nitroemu"}). */
  public static ArchRule internalPackagesStayInTheirModule(String root) {
    return internalPackagesStayInTheirModule(root, Set.of());
  }

  /** The rule for every class below {@code root}, tolerating the {@code known} uses. */
  public static ArchRule internalPackagesStayInTheirModule(String root, Set<KnownUse> known) {
    return ArchRuleDefinition.classes()
        .that()
        .resideInAPackage(root + "..")
        .should(useOnlyTheirOwnModulesInternalPackages(root, Set.copyOf(known)))
        .because(
            "an internal package is a module's implementation detail: other modules use its API");
  }

  /**
   * The {@code known} uses of the modules present in {@code classes} that none of them makes any
   * more: each is a fixed violation whose entry should be deleted.
   */
  public static Set<KnownUse> knownUsesNoLongerMade(
      String root, JavaClasses classes, Set<KnownUse> known) {
    Set<String> modules = new HashSet<>();
    Set<KnownUse> made = new HashSet<>();
    for (JavaClass origin : classes) {
      Optional<String> module = moduleOf(root, origin.getPackageName());
      if (module.isEmpty()) {
        continue;
      }
      modules.add(module.get());
      for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
        if (otherModulesInternal(root, module.get(), dependency).isPresent()) {
          made.add(new KnownUse(module.get(), topLevelName(dependency.getTargetClass())));
        }
      }
    }
    Set<KnownUse> stale = new TreeSet<>(Comparator.comparing(KnownUse::toString));
    for (KnownUse use : known) {
      if (modules.contains(use.module()) && !made.contains(use)) {
        stale.add(use);
      }
    }
    return stale;
  }

  private static ArchCondition<JavaClass> useOnlyTheirOwnModulesInternalPackages(
      String root, Set<KnownUse> known) {
    return new ArchCondition<>("use only their own module's internal packages") {
      @Override
      public void check(JavaClass origin, ConditionEvents events) {
        String module = moduleOf(root, origin.getPackageName()).orElse("");
        for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
          Optional<String> owner = otherModulesInternal(root, module, dependency);
          boolean tolerated =
              known.contains(new KnownUse(module, topLevelName(dependency.getTargetClass())));
          if (owner.isPresent() && !tolerated) {
            String message =
                String.format(
                    "%s [%s is internal to module '%s', used from module '%s']",
                    dependency.getDescription(),
                    dependency.getTargetClass().getBaseComponentType().getPackageName(),
                    owner.get(),
                    module);
            events.add(SimpleConditionEvent.violated(dependency, message));
          }
        }
      }
    };
  }

  /**
   * The owner of the dependency's target if it is internal to a module other than {@code module}.
   */
  private static Optional<String> otherModulesInternal(
      String root, String module, Dependency dependency) {
    String target = dependency.getTargetClass().getBaseComponentType().getPackageName();
    return internalOwner(root, target).filter(owner -> !owner.equals(module));
  }

  private static String topLevelName(JavaClass type) {
    String name = type.getBaseComponentType().getName();
    int nested = name.indexOf('$');
    return nested < 0 ? name : name.substring(0, nested);
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

package dev.nitroemu.archrules;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.nitroemu.archrules.InternalPackageRule.KnownUse;
import dev.nitroemu.archrules.fixtures.alpha.AlphaApi;
import dev.nitroemu.archrules.fixtures.alpha.AlphaUsesBetaApi;
import dev.nitroemu.archrules.fixtures.alpha.AlphaUsesBetaInternal;
import dev.nitroemu.archrules.fixtures.alpha.AlphaUsesNestedBetaInternal;
import dev.nitroemu.archrules.fixtures.beta.BetaApi;
import dev.nitroemu.archrules.fixtures.beta.internal.BetaHelper;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InternalPackageRuleTest {

  /** The fixtures model two modules, alpha and beta, below this root. */
  private static final String ROOT = "dev.nitroemu.archrules.fixtures";

  private static final JavaClasses FIXTURES = new ClassFileImporter().importPackages(ROOT);
  private static final ArchRule RULE = InternalPackageRule.internalPackagesStayInTheirModule(ROOT);

  @Test
  void usingAnotherModulesInternalPackageIsReportedWithBothModules() {
    EvaluationResult result = RULE.evaluate(FIXTURES);

    assertThat(result.hasViolation()).isTrue();
    List<String> details = result.getFailureReport().getDetails();
    assertThat(details)
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains(AlphaUsesBetaInternal.class.getName())
                    .contains("BetaHelper.value()")
                    .contains("internal to module 'beta', used from module 'alpha'"))
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains(AlphaUsesNestedBetaInternal.class.getName())
                    .contains("WireFrame")
                    .contains("internal to module 'beta'"));
  }

  @Test
  void theOtherModulesClassesNeedNotBeImported() {
    // A module's build imports only that module's classes: the rule needs just the package name
    // of a used class, which ArchUnit knows without importing it.
    JavaClasses alphaOnly = new ClassFileImporter().importPackages(ROOT + ".alpha");

    assertThat(alphaOnly.contain(BetaApi.class)).isFalse();
    assertThat(RULE.evaluate(alphaOnly).getFailureReport().getDetails())
        .anySatisfy(line -> assertThat(line).contains(AlphaUsesBetaInternal.class.getName()))
        .anySatisfy(line -> assertThat(line).contains(AlphaUsesNestedBetaInternal.class.getName()));
  }

  @Test
  void ownInternalPackagesAndOtherModulesPublicApiAreAllowed() {
    List<String> details = RULE.evaluate(FIXTURES).getFailureReport().getDetails();

    assertThat(details)
        .allSatisfy(
            line ->
                assertThat(line)
                    .containsAnyOf(
                        AlphaUsesBetaInternal.class.getName(),
                        AlphaUsesNestedBetaInternal.class.getName()))
        .noneSatisfy(line -> assertThat(line).contains(AlphaApi.class.getName() + "."))
        .noneSatisfy(line -> assertThat(line).contains(AlphaUsesBetaApi.class.getName()))
        .noneSatisfy(line -> assertThat(line).contains(BetaApi.class.getName() + "."));

    JavaClasses withoutViolators =
        FIXTURES.that(
            not(belongToAnyOf(AlphaUsesBetaInternal.class, AlphaUsesNestedBetaInternal.class)));
    assertThat(RULE.evaluate(withoutViolators).hasViolation()).isFalse();
  }

  @Test
  void aKnownUseIsToleratedAndNothingElse() {
    KnownUse betaHelper = new KnownUse("alpha", BetaHelper.class.getName());
    ArchRule rule = InternalPackageRule.internalPackagesStayInTheirModule(ROOT, Set.of(betaHelper));

    assertThat(rule.evaluate(FIXTURES).getFailureReport().getDetails())
        .isNotEmpty()
        .allSatisfy(line -> assertThat(line).contains(AlphaUsesNestedBetaInternal.class.getName()))
        .noneSatisfy(line -> assertThat(line).contains("BetaHelper"));
  }

  @Test
  void aKnownUseNoLongerMadeIsReportedOnlyWhereItsModuleIsChecked() {
    KnownUse made = new KnownUse("alpha", BetaHelper.class.getName());
    KnownUse gone = new KnownUse("alpha", ROOT + ".beta.internal.RemovedHelper");
    KnownUse elsewhere = new KnownUse("gamma", ROOT + ".beta.internal.RemovedHelper");

    assertThat(
            InternalPackageRule.knownUsesNoLongerMade(
                ROOT, FIXTURES, Set.of(made, gone, elsewhere)))
        .containsExactly(gone);
  }

  @Test
  void theModuleIsThePackageSegmentBelowTheRoot() {
    String root = "dev.nitroemu";

    assertThat(InternalPackageRule.internalOwner(root, "dev.nitroemu.enclave.internal"))
        .contains("enclave");
    assertThat(InternalPackageRule.internalOwner(root, "dev.nitroemu.enclavetests.internal"))
        .contains("enclavetests");
    assertThat(InternalPackageRule.internalOwner(root, "dev.nitroemu.kms.wire.internal.cbor"))
        .contains("kms");
    assertThat(InternalPackageRule.internalOwner(root, "dev.nitroemu.enclave"))
        .isEqualTo(Optional.empty());
    assertThat(InternalPackageRule.internalOwner(root, "dev.nitroemu.internalize"))
        .isEqualTo(Optional.empty());
    assertThat(InternalPackageRule.internalOwner(root, "dev.nitroemuother.internal"))
        .isEqualTo(Optional.empty());
    assertThat(InternalPackageRule.moduleOf(root, "dev.nitroemu.nsm.internal")).contains("nsm");
    assertThat(InternalPackageRule.moduleOf(root, "com.example.internal")).isEmpty();
  }
}

package dev.nitroemu.archrules;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.nitroemu.archrules.InternalPackageRule.KnownUse;
import java.util.Set;

/**
 * Runs in every module's {@code mvn verify} (the parent pom scans this test jar) over that module's
 * main and test classes: no class uses another module's {@code internal} package.
 */
@AnalyzeClasses(locations = ModuleUnderTest.class)
public class ModuleBoundariesTest {

  private static final String ROOT = "dev.nitroemu";

  /**
   * Uses left over from the enclave-runtime package move, tolerated until they are fixed: make the
   * class public API of its module (or move it), then delete its entry here. An entry no longer
   * needed fails {@link #everyKnownUseIsStillMade}, so the list only shrinks.
   */
  static final Set<KnownUse> KNOWN_USES =
      Set.of(
          // emulator-nsm's tests: PcrBankNsm, NsmDispatcherTest and DeviceNsmTest (the last with
          // SimulatedNsmDriver from enclave-runtime's test jar).
          new KnownUse("nsm", "dev.nitroemu.enclave.internal.CborWriter"),
          new KnownUse("nsm", "dev.nitroemu.enclave.internal.NsmDispatcher"),
          new KnownUse("nsm", "dev.nitroemu.enclave.internal.SimulatedNsmDriver"));

  /** Every {@code dev.nitroemu} class of the module uses only its own module's internals. */
  @ArchTest
  static final ArchRule internalPackagesStayInTheirModule =
      InternalPackageRule.internalPackagesStayInTheirModule(ROOT, KNOWN_USES);

  /** A tolerated use that this module no longer makes must leave {@link #KNOWN_USES}. */
  @ArchTest
  static void everyKnownUseIsStillMade(JavaClasses classes) {
    Set<KnownUse> fixed = InternalPackageRule.knownUsesNoLongerMade(ROOT, classes, KNOWN_USES);
    if (!fixed.isEmpty()) {
      // A plain AssertionError: the modules running this test need no assertion library.
      throw new AssertionError("fixed, delete from ModuleBoundariesTest.KNOWN_USES: " + fixed);
    }
  }
}

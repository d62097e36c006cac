package dev.nitroemu.archrules;

import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Runs in every module's {@code mvn verify} (the parent pom scans this test jar) over that module's
 * main and test classes: no class uses another module's {@code internal} package.
 */
@AnalyzeClasses(locations = ModuleUnderTest.class)
public class ModuleBoundariesTest {

  /** Every {@code dev.nitroemu} class of the module uses only its own module's internals. */
  @ArchTest
  static final ArchRule internalPackagesStayInTheirModule =
      InternalPackageRule.internalPackagesStayInTheirModule("dev.nitroemu");
}

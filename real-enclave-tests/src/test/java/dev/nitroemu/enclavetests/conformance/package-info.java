/**
 * The conformance suites: written once against the interfaces {@code @NitroEnclaveTest} injects,
 * they run emulated in every {@code mvn verify} (and in the nightly rehearsal's child JVM), and
 * unchanged inside a real Nitro enclave every night, where {@code EnclaveTestRunner} selects this
 * package.
 *
 * <p>On hardware the NSM lives as long as the enclave, so each test that changes a user PCR owns
 * its index (16 extend, 17 lock, 18 attested lock) and reads the state before it changes it.
 */
package dev.nitroemu.enclavetests.conformance;

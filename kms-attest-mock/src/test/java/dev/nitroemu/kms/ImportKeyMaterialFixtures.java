package dev.nitroemu.kms;

import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.nio.file.Path;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AlgorithmSpec;
import software.amazon.awssdk.services.kms.model.GetParametersForImportResponse;
import software.amazon.awssdk.services.kms.model.WrappingKeySpec;

/** The mock server, SDK client and import parameters shared by the key material import tests. */
final class ImportKeyMaterialFixtures {
  private ImportKeyMaterialFixtures() {}

  /** A started mock on {@code clock} that keeps its state in {@code state}. */
  static KmsMockServer server(MutableTestClock clock, Path state) throws IOException {
    return KmsMockServer.builder().clock(clock).stateDirectory(state).build().start();
  }

  /** An AWS SDK client of {@code server}, signing at {@code clock}'s time. */
  static KmsClient client(KmsMockServer server, MutableTestClock clock) {
    return KmsTestClients.at(server, server.region(), "test", "test", clock);
  }

  static GetParametersForImportResponse parameters(
      KmsClient kms, String keyId, AlgorithmSpec algorithm) {
    return kms.getParametersForImport(
        r -> r.keyId(keyId).wrappingAlgorithm(algorithm).wrappingKeySpec(WrappingKeySpec.RSA_2048));
  }
}

package dev.nitroemu.cli.enclaveapp;

/**
 * The enclave app of {@code EnclaveCommandsProcessTest}, run in a FROM-scratch image: prints three
 * numbered console lines, then either stays up ({@code stay}) or ends with exit code 0 ({@code
 * exit}).
 */
public final class ConsoleEnclaveApp {
  private ConsoleEnclaveApp() {}

  public static void main(String[] args) throws InterruptedException {
    for (int i = 1; i <= 3; i++) {
      System.out.println("console enclave line " + i);
    }
    System.out.flush();
    if (args.length > 0 && args[0].equals("stay")) {
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}

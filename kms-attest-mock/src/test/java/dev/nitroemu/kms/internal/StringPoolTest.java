package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.kms.AuditEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StringPoolTest {

  @Test
  void equalStringsShareOneCopyWithinAPoolButNotAcrossPools() {
    StringPool pool = new StringPool(16);
    StringPool other = new StringPool(16);
    String first = new String("arn:aws:iam::000000000000:root");
    String second = new String("arn:aws:iam::000000000000:root");

    assertThat(pool.share(first)).isSameAs(first);
    assertThat(pool.share(second)).isSameAs(first);
    assertThat(other.share(second)).isSameAs(second);
    assertThat(pool.share((String) null)).isNull();
  }

  @Test
  void immutableValuesWithValueEqualityAreSharedToo() {
    StringPool pool = new StringPool(16);
    AuditEvent.UserIdentity first =
        new AuditEvent.UserIdentity(
            "Root", null, "arn:aws:iam::000000000000:root", "000000000000", "test");
    List<String> arns = List.of("arn:aws:kms:us-east-1:000000000000:key/k");

    assertThat(pool.share(first)).isSameAs(first);
    assertThat(
            pool.share(
                new AuditEvent.UserIdentity(
                    "Root", null, "arn:aws:iam::000000000000:root", "000000000000", "test")))
        .isSameAs(first);
    assertThat(pool.share(arns)).isSameAs(arns);
    assertThat(pool.share(List.copyOf(new ArrayList<>(arns)))).isSameAs(arns);
  }

  @Test
  void thePoolStaysWithinItsBoundAndKeepsLongStringsOut() {
    StringPool pool = new StringPool(8);
    for (int i = 0; i < 100; i++) {
      pool.share("value-" + i);
      assertThat(pool.size()).isLessThanOrEqualTo(8);
    }
    String longText = "x".repeat(StringPool.MAX_LENGTH + 1);
    pool.share(longText);
    assertThat(pool.share(new String(longText))).isNotSameAs(longText);
    assertThatThrownBy(() -> new StringPool(0)).isInstanceOf(IllegalArgumentException.class);
  }
}

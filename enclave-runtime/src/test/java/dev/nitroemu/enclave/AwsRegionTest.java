package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AwsRegionTest {

  /** Real region names from every partition of the AWS SDK's endpoint metadata (regions 2.57.8). */
  private static final List<String> REAL =
      List.of(
          "us-east-1",
          "eu-central-2",
          "ap-southeast-5",
          "us-gov-west-1",
          "cn-north-1",
          "il-central-1",
          "cn-northwest-1",
          "ap-northeast-3",
          "ca-west-1",
          "mx-central-1",
          "me-south-1",
          "af-south-1",
          "sa-east-1",
          "us-iso-east-1",
          "us-isob-east-1",
          "eu-isoe-west-1",
          "us-isof-south-1",
          "eusc-de-east-1");

  @Test
  void realRegionNamesAreAccepted() {
    for (String name : REAL) {
      assertThat(AwsRegion.isValid(name)).as(name).isTrue();
      assertThat(AwsRegion.of(name).name()).isEqualTo(name);
    }
  }

  @Test
  void malformedNamesAreRefusedQuotingTheName() {
    List<String> bad =
        List.of(
            "",
            "US-EAST-1",
            "us-east",
            "useast1",
            "us_east_1",
            "us-east-1 ",
            " us-east-1",
            "us-east-1\n",
            "us--east-1",
            "-us-east-1",
            "us-east-",
            "us-east-01",
            "us-east-0",
            "us-east-100",
            "u-east-1",
            "frankfurt",
            "eu-central-1a",
            "us-east-1.amazonaws.com",
            "us-east-1/../x",
            "us-éast-1",
            "abcde-east-1",
            "us-a-b-c-d-1",
            "us-" + "x".repeat(40) + "-1");
    for (String name : bad) {
      assertThat(AwsRegion.isValid(name)).as("'%s'", name).isFalse();
      assertThatThrownBy(() -> AwsRegion.of(name))
          .as("'%s'", name)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("region must be an AWS region name such as us-east-1, was '");
    }
    assertThat(AwsRegion.isValid(null)).isFalse();
    assertThatThrownBy(() -> AwsRegion.of(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aHugeNameIsQuotedShortened() {
    assertThatThrownBy(() -> AwsRegion.of("x".repeat(10_000)))
        .hasMessageEndingWith("...'")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
  }

  @Test
  void eachRegionKnowsItsArnPartition() {
    assertThat(AwsRegion.of("us-east-1").partition()).isEqualTo("aws");
    assertThat(AwsRegion.of("il-central-1").partition()).isEqualTo("aws");
    assertThat(AwsRegion.of("cn-north-1").partition()).isEqualTo("aws-cn");
    assertThat(AwsRegion.of("us-gov-west-1").partition()).isEqualTo("aws-us-gov");
    assertThat(AwsRegion.of("us-iso-east-1").partition()).isEqualTo("aws-iso");
    assertThat(AwsRegion.of("us-isob-east-1").partition()).isEqualTo("aws-iso-b");
    assertThat(AwsRegion.of("eu-isoe-west-1").partition()).isEqualTo("aws-iso-e");
    assertThat(AwsRegion.of("us-isof-south-1").partition()).isEqualTo("aws-iso-f");
    assertThat(AwsRegion.of("eusc-de-east-1").partition()).isEqualTo("aws-eusc");
  }
}

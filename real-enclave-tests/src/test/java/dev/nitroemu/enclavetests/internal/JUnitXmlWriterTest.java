package dev.nitroemu.enclavetests.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclavetests.TestResult;
import dev.nitroemu.enclavetests.TestStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class JUnitXmlWriterTest {

  @TempDir Path dir;

  @Test
  void suiteCountsAndCaseElementsFollowTheSurefireShape() throws Exception {
    List<TestResult> results =
        List.of(
            result("passes()", TestStatus.SUCCESSFUL, 1500, null, null),
            result("fails()", TestStatus.FAILED, 20, "java.lang.AssertionError", "expected 1"),
            result("errs()", TestStatus.ERROR, 3, "java.lang.IllegalStateException", "boom"),
            result("aborts()", TestStatus.ABORTED, 0, null, "assumption"),
            result("skipped()", TestStatus.SKIPPED, 0, null, "disabled"));
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("nitro.mode", "real");
    Path file = dir.resolve("TEST-a.B.xml");

    JUnitXmlWriter.write(
        file, "a.B", results, properties, Instant.parse("2026-05-01T10:00:00.123Z"));

    Element suite = parse(file).getDocumentElement();
    assertThat(suite.getTagName()).isEqualTo("testsuite");
    assertThat(suite.getAttribute("name")).isEqualTo("a.B");
    assertThat(suite.getAttribute("tests")).isEqualTo("5");
    assertThat(suite.getAttribute("failures")).isEqualTo("1");
    assertThat(suite.getAttribute("errors")).isEqualTo("1");
    assertThat(suite.getAttribute("skipped")).isEqualTo("2");
    assertThat(suite.getAttribute("time")).isEqualTo("1.523");
    assertThat(suite.getAttribute("timestamp")).isEqualTo("2026-05-01T10:00:00");
    Element property = (Element) suite.getElementsByTagName("property").item(0);
    assertThat(property.getAttribute("name")).isEqualTo("nitro.mode");
    assertThat(property.getAttribute("value")).isEqualTo("real");
    NodeList cases = suite.getElementsByTagName("testcase");
    assertThat(cases.getLength()).isEqualTo(5);
    Element passing = (Element) cases.item(0);
    assertThat(passing.getAttribute("time")).isEqualTo("1.500");
    assertThat(passing.getChildNodes().getLength()).isZero();
    Element failure = (Element) ((Element) cases.item(1)).getElementsByTagName("failure").item(0);
    assertThat(failure.getAttribute("message")).isEqualTo("expected 1");
    assertThat(failure.getAttribute("type")).isEqualTo("java.lang.AssertionError");
    assertThat(failure.getTextContent()).isEqualTo("trace of fails()");
    assertThat(((Element) cases.item(2)).getElementsByTagName("error").item(0)).isNotNull();
    assertThat(
            ((Element) ((Element) cases.item(3)).getElementsByTagName("skipped").item(0))
                .getAttribute("message"))
        .isEqualTo("assumption");
    assertThat(((Element) cases.item(4)).getElementsByTagName("skipped").getLength()).isEqualTo(1);
  }

  @Test
  void reportEntriesBecomeTheCasesSystemOut() throws Exception {
    Path file = dir.resolve("TEST-o.xml");

    JUnitXmlWriter.write(
        file,
        "o",
        List.of(
            new TestResult(
                "id",
                "o",
                "t()",
                "t()",
                TestStatus.SUCCESSFUL,
                0,
                null,
                null,
                null,
                "nsm.error = ReadOnlyIndex\n")),
        Map.of(),
        Instant.EPOCH);

    Element testCase = (Element) parse(file).getElementsByTagName("testcase").item(0);
    assertThat(testCase.getElementsByTagName("system-out").item(0).getTextContent())
        .isEqualTo("nsm.error = ReadOnlyIndex\n");
  }

  @Test
  void markupAndCharactersXmlCannotCarryStayWellFormed() throws Exception {
    String hostile = "<b>&amp;</b> ]]> \u0000 \uD83D\uDE80 \uDE80 \uFFFE";
    Path file = dir.resolve("TEST-x.xml");

    JUnitXmlWriter.write(
        file,
        "x",
        List.of(
            new TestResult(
                "id", "x", "t()", "t()", TestStatus.FAILED, 0, "E", hostile, "at " + hostile)),
        Map.of(),
        Instant.EPOCH);

    Element failure = (Element) parse(file).getElementsByTagName("failure").item(0);
    assertThat(failure.getAttribute("message"))
        .isEqualTo("<b>&amp;</b> ]]> \uFFFD \uD83D\uDE80 \uFFFD \uFFFD");
    assertThat(failure.getTextContent())
        .isEqualTo("at <b>&amp;</b> ]]> \uFFFD \uD83D\uDE80 \uFFFD \uFFFD");
  }

  @Test
  void fileNamesCannotEscapeTheReportsDirectory() {
    assertThat(JUnitXmlWriter.fileName("dev.nitroemu.Suite$Nested"))
        .isEqualTo("TEST-dev.nitroemu.Suite$Nested.xml");
    assertThat(JUnitXmlWriter.fileName("../../etc/passwd")).isEqualTo("TEST-.._.._etc_passwd.xml");
    assertThat(JUnitXmlWriter.fileName("\u00e9t\u00e9 x")).isEqualTo("TEST-_t__x.xml");
    assertThat(JUnitXmlWriter.fileName("a".repeat(1000)))
        .hasSize("TEST-".length() + 200 + ".xml".length());
  }

  @Test
  void rewritingReplacesTheFileAndLeavesNoTemporaryFile() throws Exception {
    Path file = dir.resolve("TEST-y.xml");
    JUnitXmlWriter.write(
        file,
        "y",
        List.of(result("a()", TestStatus.SUCCESSFUL, 0, null, null)),
        Map.of(),
        Instant.EPOCH);
    JUnitXmlWriter.write(file, "y", List.of(), Map.of(), Instant.EPOCH);

    assertThat(parse(file).getDocumentElement().getAttribute("tests")).isEqualTo("0");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  private static TestResult result(
      String name, TestStatus status, long millis, String type, String message) {
    return new TestResult(
        "[class:a.B]/" + name,
        "a.B",
        name,
        name,
        status,
        millis,
        type,
        message,
        type == null ? null : "trace of " + name);
  }

  static Document parse(Path file) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return factory.newDocumentBuilder().parse(file.toFile());
  }
}

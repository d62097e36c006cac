package dev.nitroemu.enclavetests.internal;

import dev.nitroemu.enclave.AtomicFiles;
import dev.nitroemu.enclavetests.TestResult;
import dev.nitroemu.enclavetests.TestStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Writes one JUnit XML file in the Ant/Surefire shape that CI tools read:
 *
 * <pre>
 * &lt;testsuite name="a.B" tests="3" failures="1" errors="0" skipped="1" time="0.042" timestamp="…"&gt;
 *   &lt;properties&gt;&lt;property name="nitro.mode" value="real"/&gt;&lt;/properties&gt;
 *   &lt;testcase name="c()" classname="a.B" time="0.010"&gt;
 *     &lt;failure message="…" type="…"&gt;stack&lt;/failure&gt;&lt;/testcase&gt;
 *   &lt;testcase name="d()" classname="a.B" time="0.000"&gt;&lt;skipped message="reason"/&gt;&lt;/testcase&gt;
 *   &lt;testcase name="e()" classname="a.B" time="0.001"&gt;
 *     &lt;system-out&gt;key = value&lt;/system-out&gt;&lt;/testcase&gt;
 * &lt;/testsuite&gt;
 * </pre>
 *
 * Characters XML 1.0 cannot carry (most control characters, lone surrogates) become {@code U+FFFD}.
 */
public final class JUnitXmlWriter {

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  private JUnitXmlWriter() {}

  /** The report file name for a suite: {@code TEST-<name>.xml}, with unsafe characters replaced. */
  public static String fileName(String suiteName) {
    StringBuilder safe = new StringBuilder("TEST-");
    suiteName
        .codePoints()
        .limit(200)
        .forEach(
            c ->
                safe.append(
                    c < 128
                            && (Character.isLetterOrDigit(c)
                                || c == '.'
                                || c == '-'
                                || c == '_'
                                || c == '$')
                        ? (char) c
                        : '_'));
    return safe.append(".xml").toString();
  }

  /**
   * Writes {@code results} as one {@code <testsuite>} to {@code file}, replacing it with {@link
   * AtomicFiles} (mode 644: CI tools read it).
   *
   * @param properties written as {@code <property>} elements, in iteration order
   * @param timestamp when the suite started
   */
  public static void write(
      Path file,
      String suiteName,
      List<TestResult> results,
      Map<String, String> properties,
      Instant timestamp)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
      writeSuite(xml, suiteName, results, properties, timestamp);
      xml.close();
    } catch (XMLStreamException e) {
      throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
    }
    AtomicFiles.write(file, out.toByteArray(), AtomicFiles.WORLD_READABLE);
  }

  private static void writeSuite(
      XMLStreamWriter xml,
      String suiteName,
      List<TestResult> results,
      Map<String, String> properties,
      Instant timestamp)
      throws XMLStreamException {
    long failures = results.stream().filter(r -> r.status() == TestStatus.FAILED).count();
    long errors = results.stream().filter(r -> r.status() == TestStatus.ERROR).count();
    long skipped = results.stream().filter(r -> r.status().isSkipped()).count();
    long totalMillis = results.stream().mapToLong(TestResult::durationMillis).sum();
    xml.writeStartDocument("UTF-8", "1.0");
    xml.writeCharacters("\n");
    xml.writeStartElement("testsuite");
    xml.writeAttribute("name", clean(suiteName));
    xml.writeAttribute("tests", Integer.toString(results.size()));
    xml.writeAttribute("failures", Long.toString(failures));
    xml.writeAttribute("errors", Long.toString(errors));
    xml.writeAttribute("skipped", Long.toString(skipped));
    xml.writeAttribute("time", seconds(totalMillis));
    xml.writeAttribute("timestamp", TIMESTAMP.format(timestamp.truncatedTo(ChronoUnit.SECONDS)));
    xml.writeCharacters("\n  ");
    xml.writeStartElement("properties");
    for (Map.Entry<String, String> property : properties.entrySet()) {
      xml.writeCharacters("\n    ");
      xml.writeEmptyElement("property");
      xml.writeAttribute("name", clean(property.getKey()));
      xml.writeAttribute("value", clean(property.getValue()));
    }
    xml.writeCharacters("\n  ");
    xml.writeEndElement();
    for (TestResult result : results) {
      xml.writeCharacters("\n  ");
      writeCase(xml, result);
    }
    xml.writeCharacters("\n");
    xml.writeEndElement();
    xml.writeCharacters("\n");
    xml.writeEndDocument();
  }

  private static void writeCase(XMLStreamWriter xml, TestResult result) throws XMLStreamException {
    xml.writeStartElement("testcase");
    xml.writeAttribute("name", clean(result.name()));
    xml.writeAttribute("classname", clean(result.className()));
    xml.writeAttribute("time", seconds(result.durationMillis()));
    TestStatus status = result.status();
    if (status.isFailure()) {
      xml.writeStartElement(status == TestStatus.FAILED ? "failure" : "error");
      if (result.message() != null) {
        xml.writeAttribute("message", clean(result.message()));
      }
      if (result.failureType() != null) {
        xml.writeAttribute("type", clean(result.failureType()));
      }
      if (result.stackTrace() != null) {
        xml.writeCharacters(clean(result.stackTrace()));
      }
      xml.writeEndElement();
    } else if (status.isSkipped()) {
      xml.writeEmptyElement("skipped");
      if (result.message() != null) {
        xml.writeAttribute("message", clean(result.message()));
      }
    }
    if (result.output() != null) {
      xml.writeStartElement("system-out");
      xml.writeCharacters(clean(result.output()));
      xml.writeEndElement();
    }
    xml.writeEndElement();
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%d.%03d", millis / 1000, millis % 1000);
  }

  /**
   * Replaces what XML 1.0 cannot carry (C0 controls but tab/CR/LF, U+FFFE/U+FFFF, lone surrogates).
   */
  static String clean(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok;
      if (Character.isHighSurrogate(c)) {
        ok = i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        if (ok) {
          if (out != null) {
            out.append(c).append(text.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        ok =
            !Character.isLowSurrogate(c)
                && (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
                && c != 0xFFFE
                && c != 0xFFFF;
      }
      if (!ok && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (out != null) {
        out.append(ok ? c : '\uFFFD');
      }
    }
    return out == null ? text : out.toString();
  }
}

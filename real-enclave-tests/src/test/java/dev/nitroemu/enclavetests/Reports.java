package dev.nitroemu.enclavetests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Reads the JUnit XML a collector wrote, for assertions. */
final class Reports {

  private Reports() {}

  /** The {@code <testsuite>} element of {@code dir/TEST-<suite>.xml}. */
  static Element suite(Path dir, String suite) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return factory
        .newDocumentBuilder()
        .parse(dir.resolve("TEST-" + suite + ".xml").toFile())
        .getDocumentElement();
  }

  /** The {@code <testcase>} of {@code suite} whose name is {@code name}. */
  static Element testCase(Element suite, String name) {
    NodeList cases = suite.getElementsByTagName("testcase");
    for (int i = 0; i < cases.getLength(); i++) {
      Element element = (Element) cases.item(i);
      if (element.getAttribute("name").equals(name)) {
        return element;
      }
    }
    throw new AssertionError("no testcase " + name + " in " + suite.getAttribute("name"));
  }

  /** The first child element of {@code element} named {@code tag}, or null. */
  static Element child(Element element, String tag) {
    NodeList children = element.getElementsByTagName(tag);
    return children.getLength() == 0 ? null : (Element) children.item(0);
  }

  /** The names of the report files in {@code dir}, sorted. */
  static List<String> files(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names =
          new ArrayList<>(files.map(f -> f.getFileName().toString()).sorted().toList());
      return names;
    }
  }
}

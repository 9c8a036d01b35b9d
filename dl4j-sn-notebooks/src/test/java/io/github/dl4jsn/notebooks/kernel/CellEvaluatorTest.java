package io.github.dl4jsn.notebooks.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CellEvaluatorTest {
  private static CellEvaluator evaluator;

  @BeforeAll
  static void start() {
    evaluator = new CellEvaluator(System.getProperty("java.class.path"));
  }

  @AfterAll
  static void stop() {
    evaluator.close();
  }

  @Test
  void lastExpressionOfACellIsItsValue() {
    assertThat(evaluator.eval("int a = 20;\nint b = 22;\na + b")).contains("42");
  }

  @Test
  void cellEndingInAStatementHasNoValue() {
    assertThat(evaluator.eval("int c = 1;\nc++;\nif (c > 0) { c = 3; }")).isEmpty();
  }

  @Test
  void definitionsPersistAcrossCells() {
    evaluator.eval("double twice(double x) { return 2 * x; }");
    assertThat(evaluator.eval("twice(1.5)")).contains("3.0");
  }

  @Test
  void cellsPrintToTheProcessStdoutOfTheMoment() {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      evaluator.eval("System.out.println(\"hello from a cell\");");
    } finally {
      System.setOut(old);
    }
    assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("hello from a cell\n");
  }

  @Test
  void cellsSeeTheProjectClasspath() {
    assertThat(evaluator.eval(
        "io.github.dl4jsn.conf.SpectralNormalization.DEFAULT_POWER_ITERATIONS")).contains("1");
  }

  @Test
  void compileErrorNamesTheProblemAndStopsTheCell() {
    assertThatThrownBy(() -> evaluator.eval("int ok = 1;\nString s = 42;\nint after = 2;"))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("does not compile")
        .hasMessageContaining("incompatible types")
        .hasMessageContaining("String s = 42;");
    assertThatThrownBy(() -> evaluator.eval("after"))
        .isInstanceOf(CellException.class);
  }

  @Test
  void exceptionInACellIsReportedWithItsType() {
    assertThatThrownBy(() -> evaluator.eval("Object o = null;\no.toString();"))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("java.lang.NullPointerException");
  }

  @Test
  void undefinedReferenceFailsTheCell() {
    assertThatThrownBy(() -> evaluator.eval("void f() { nowhere(); }"))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("nowhere");
  }

  @Test
  void isCompleteTellsOpenBlocksFromFinishedCode() {
    assertThat(evaluator.isComplete("int x = 1;")).isEqualTo("complete");
    assertThat(evaluator.isComplete("for (int i = 0; i < 3; i++) {")).isEqualTo("");
  }

  @Test
  void completesMembers() {
    String code = "\"abc\".toUpperC";
    CellEvaluator.Completions c = evaluator.complete(code, code.length());
    assertThat(c.options()).contains("toUpperCase(");
    assertThat(c.start()).isEqualTo(code.indexOf("toUpperC"));
  }
}

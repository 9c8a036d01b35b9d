package io.github.dl4jsn.notebooks.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnKernelTest {
  @TempDir static Path dir;
  private static SnKernel kernel;

  @BeforeAll
  static void start() {
    kernel = new SnKernel(dir);
  }

  @AfterAll
  static void stop() {
    kernel.onShutdown(false);
  }

  @Test
  void lineMagicsAreSplitOffAndTheCodeKeepsItsLineNumbers() {
    SnKernel.ParsedCell cell =
        SnKernel.parse("%jars lib/*.jar \"my dir/x.jar\"\nint x = 1;\n  %maven g:a:1");
    assertThat(cell.magics()).containsExactly(
        new SnKernel.LineMagicCall("jars", List.of("lib/*.jar", "my dir/x.jar")),
        new SnKernel.LineMagicCall("maven", List.of("g:a:1")));
    assertThat(cell.code()).isEqualTo("\nint x = 1;\n");
  }

  @Test
  void percentInsideCodeIsNotAMagic() {
    SnKernel.ParsedCell cell = SnKernel.parse("int r = 7 % 3;\nString f = \"%d\";");
    assertThat(cell.magics()).isEmpty();
  }

  @Test
  void cellMagicsAreRejected() {
    assertThatThrownBy(() -> SnKernel.parse("%%time\n1 + 1"))
        .isInstanceOf(CellException.class).hasMessageContaining("not supported");
  }

  @Test
  void evalReturnsTheLastValueAsPlainText() {
    DisplayData out = (DisplayData) kernel.evalRaw("var s = \"sn\";\ns + \"-\" + 1");
    assertThat(out.getData(MIMEType.TEXT_PLAIN)).isEqualTo("\"sn-1\"");
  }

  @Test
  void magicsRunBeforeTheCode() {
    assertThat(kernel.evalRaw("%classpath " + dir + "\n1 + 1")).isInstanceOf(DisplayData.class);
  }

  @Test
  void unknownMagicFailsTheCell() {
    assertThatThrownBy(() -> kernel.evalRaw("%load_ext foo\n1"))
        .isInstanceOf(CellException.class).hasMessageContaining("%jars");
  }

  @Test
  void mavenMagicWithoutTheArtifactLocallyExplainsItself() {
    assertThatThrownBy(() -> kernel.evalRaw("%maven no.such.group:nothing:0.0.1"))
        .hasMessageContaining("not in the local Maven repository")
        .hasMessageContaining("IJava/JJava");
  }

  @Test
  void formatsCellErrorsAsMessageAndTrace() {
    CellException e = new CellException("java.lang.IllegalStateException: boom",
        new IllegalStateException("boom"));
    assertThat(String.join("\n", kernel.formatError(e)))
        .contains("IllegalStateException: boom").contains("at ");
  }
}

package io.github.dl4jsn.notebooks.kernel;

import io.github.dl4jsn.accel.Acceleration;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.magic.MagicParser;
import org.dflib.jjava.jupyter.kernel.magic.MagicTranspiler;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.util.TextColor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * A small Jupyter kernel for Java: JShell, evaluating in this JVM, on JJava's kernel library
 * ({@code org.dflib.jjava:jjava-jupyter}), which speaks the Jupyter protocol.
 *
 * <p>It is the test harness that runs the notebooks in CI, and users may install it too (see
 * scripts/notebooks.sh). The notebooks see the kernel's own classpath. Cells are Java as in
 * {@code jshell}; the value of a cell's last expression is its result (text/plain); {@code
 * display(image)} shows images as PNG. Line magics, on lines of their own, run before the rest
 * of the cell: {@code %classpath}, {@code %jars} and {@code %maven} (see {@link ClasspathMagics}).
 */
public final class SnKernel extends BaseKernel {

  /** A magic on a line of its own: {@code %name args}. Cell magics ({@code %%}) do not match. */
  static final Pattern LINE_MAGIC = Pattern.compile("^\\s*%(\\w+)(.*)$");

  private final CellEvaluator evaluator;
  private final ClasspathMagics classpathMagics;

  /** A kernel whose cells see the JVM's classpath and resolve relative paths against cwd. */
  public SnKernel(Path cwd) {
    super("dl4j-sn-kernel", version(),
        new LanguageInfo.Builder("Java").version(Runtime.version().toString())
            .mimetype("text/x-java-source").fileExtension(".jshell").pygments("java")
            .codemirror("java").build(),
        List.of(), null, new JupyterIO(StandardCharsets.UTF_8), new CommManager(), new Renderer(),
        new MagicParser("(?<=(?:^|=))\\s*%", "%%", new MagicTranspiler()), new MagicsRegistry(),
        false, errorStyler());
    String launchClasspath = System.getProperty("java.class.path", "");
    this.evaluator = new CellEvaluator(launchClasspath);
    this.classpathMagics = new ClasspathMagics(launchClasspath,
        ClasspathMagics.defaultLocalRepository(), cwd,
        p -> evaluator.addToClasspath(p.toString()));
    magicsRegistry.registerLineMagic("classpath",
        (k, args) -> report(classpathMagics.classpath(args)));
    magicsRegistry.registerLineMagic("jars", (k, args) -> report(classpathMagics.jars(args)));
    magicsRegistry.registerLineMagic("maven", (k, args) -> report(classpathMagics.maven(args)));
  }

  private static Object report(ClasspathMagics.Result r) {
    System.out.println(r.summary());
    return null;
  }

  private static String version() {
    String v = SnKernel.class.getPackage().getImplementationVersion();
    return v != null ? v : "dev";
  }

  private static StringStyler errorStyler() {
    return new StringStyler.Builder()
        .addPrimaryStyle(TextColor.BOLD_RESET_FG)
        .addSecondaryStyle(TextColor.BOLD_RED_FG)
        .addHighlightStyle(TextColor.BOLD_RESET_FG)
        .addHighlightStyle(TextColor.RED_BG)
        .withLinePrefix(TextColor.BOLD_RESET_FG + "|   ")
        .build();
  }

  /** A parsed line magic. */
  record LineMagicCall(String name, List<String> args) {}

  /** A cell split into its line magics (in order) and the code without them. */
  record ParsedCell(List<LineMagicCall> magics, String code) {}

  /** Splits the line magics off a cell; magic lines become blank lines in the code. */
  static ParsedCell parse(String cell) {
    if (cell.stripLeading().startsWith("%%")) {
      throw new CellException("cell magics (%%) are not supported by this kernel");
    }
    List<LineMagicCall> magics = new ArrayList<>();
    StringBuilder code = new StringBuilder();
    for (String line : cell.split("\n", -1)) {
      Matcher m = LINE_MAGIC.matcher(line);
      if (m.matches()) {
        magics.add(new LineMagicCall(m.group(1), splitArgs(m.group(2))));
        code.append('\n');
      } else {
        code.append(line).append('\n');
      }
    }
    return new ParsedCell(magics, code.substring(0, code.length() - 1));
  }

  /** Splits magic arguments on blanks; double quotes group, backslash escapes. */
  static List<String> splitArgs(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        cur.append(s.charAt(++i));
        any = true;
      } else if (c == '"') {
        quoted = !quoted;
        any = true;
      } else if (Character.isWhitespace(c) && !quoted) {
        if (any) {
          out.add(cur.toString());
          cur.setLength(0);
          any = false;
        }
      } else {
        cur.append(c);
        any = true;
      }
    }
    if (quoted) {
      throw new CellException("unbalanced quote in magic arguments: " + s.strip());
    }
    if (any) {
      out.add(cur.toString());
    }
    return out;
  }

  @Override
  public Object evalRaw(String source) {
    ParsedCell cell = parse(source);
    for (LineMagicCall m : cell.magics()) {
      if (!magicsRegistry.getLineMagicNames().contains(m.name())) {
        throw new CellException("unknown line magic %" + m.name() + "; this kernel knows "
            + magicsRegistry.getLineMagicNames().stream().sorted().map(n -> "%" + n).toList());
      }
      try {
        magicsRegistry.evalLineMagic(this, m.name(), m.args());
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new CellException("%" + m.name() + " failed: " + e.getMessage(), e);
      }
    }
    return evaluator.eval(cell.code()).map(DisplayData::new).orElse(null);
  }

  @Override
  public DisplayData inspect(String code, int at, boolean extraDetail) {
    String doc = evaluator.documentation(code, at);
    return doc.isEmpty() ? null : new DisplayData(doc);
  }

  @Override
  public ReplacementOptions complete(String code, int at) {
    CellEvaluator.Completions c = evaluator.complete(code, at);
    return c.options().isEmpty() ? null : new ReplacementOptions(c.options(), c.start(), at);
  }

  @Override
  public String isComplete(String code) {
    ParsedCell cell = parse(code);
    return evaluator.isComplete(cell.code());
  }

  @Override
  public void interrupt() {
    evaluator.stop();
  }

  @Override
  public void onShutdown(boolean isRestarting) {
    super.onShutdown(isRestarting);
    evaluator.close();
  }

  /** A cell error as the cell's message and, for exceptions thrown by the cell, their trace. */
  @Override
  public List<String> formatError(Throwable e) {
    if (!(e instanceof CellException)) {
      return super.formatError(e);
    }
    List<String> lines = new ArrayList<>(errorStyler.primaryLines(e.getMessage()));
    if (e.getCause() != null) {
      StringWriter trace = new StringWriter();
      e.getCause().printStackTrace(new PrintWriter(trace));
      lines.addAll(errorStyler.secondaryLines(trace.toString()));
    }
    return lines;
  }

  /** The kernel process: {@code java -cp ... SnKernel CONNECTION_FILE}, as kernel.json says. */
  @Command(name = "dl4j-sn-kernel", mixinStandardHelpOptions = true,
      description = "Jupyter kernel for Java (JShell) with dl4j-sn on its classpath.")
  static final class Main implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONNECTION_FILE",
        description = "The connection file that Jupyter passes as {connection_file}.")
    Path connectionFile;

    @Override
    public Integer call() throws Exception {
      KernelConnectionProperties props =
          KernelConnectionProperties.parse(Files.readString(connectionFile));
      JupyterConnection connection = new JupyterConnection(props);
      accelerate();
      SnKernel kernel = new SnKernel(Path.of("").toAbsolutePath());
      kernel.onStartup();
      kernel.becomeHandlerForConnection(connection);
      connection.connect();
      connection.waitUntilClose();
      return 0;
    }
  }

  /**
   * Switches on DL4J's oneDNN layer helpers (dl4j-sn-accel) for the networks the notebooks create,
   * unless {@code -Ddl4jsn.accel=false}; the cells run in this JVM. A machine whose ND4J build
   * lacks oneDNN gets a warning and DL4J as shipped.
   */
  static void accelerate() {
    if ("false".equalsIgnoreCase(System.getProperty("dl4jsn.accel"))) {
      System.err.println("dl4j-sn kernel: DL4J layer helpers off (-Ddl4jsn.accel=false)");
      return;
    }
    try {
      System.err.println("dl4j-sn kernel: " + Acceleration.enable());
    } catch (IllegalStateException e) {
      System.err.println("dl4j-sn kernel: running DL4J as shipped: " + e.getMessage());
    }
  }

  /** Starts the kernel on the connection file given by Jupyter. */
  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new Main()).execute(args));
  }
}

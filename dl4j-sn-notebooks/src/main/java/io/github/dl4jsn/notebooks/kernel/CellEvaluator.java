package io.github.dl4jsn.notebooks.kernel;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.CompletionInfo;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

/**
 * Evaluates notebook cells with JShell in this JVM ({@code executionEngine("local")}), so that cell
 * code shares the kernel's classes and static state (the display hook of {@code Display}).
 *
 * <p>A cell is split into snippets with JShell's own source analysis and evaluated in order. The
 * first snippet that does not compile, references something undefined, or throws stops the cell
 * with a {@link CellException}. The value of the last snippet, when it is an expression, is the
 * cell's result, as JShell prints it.
 */
public final class CellEvaluator implements AutoCloseable {

  /** The imports that the {@code jshell} tool starts with, plus the notebooks' display helper. */
  static final List<String> STARTUP = List.of(
      "import java.io.*;",
      "import java.math.*;",
      "import java.net.*;",
      "import java.nio.file.*;",
      "import java.util.*;",
      "import java.util.concurrent.*;",
      "import java.util.function.*;",
      "import java.util.prefs.*;",
      "import java.util.regex.*;",
      "import java.util.stream.*;",
      "import static io.github.dl4jsn.notebooks.Display.display;");

  private final JShell shell;

  /** A JShell that sees {@code classpath} (the kernel's own, usually) and the startup imports. */
  public CellEvaluator(String classpath) {
    this.shell = JShell.builder().executionEngine("local").build();
    if (!classpath.isBlank()) {
      shell.addToClasspath(classpath);
    }
    for (String s : STARTUP) {
      eval(s);
    }
  }

  /** Adds a file or folder to the classpath of the following cells. */
  public void addToClasspath(String path) {
    shell.addToClasspath(path);
  }

  /**
   * Evaluates a cell.
   *
   * @return the value of the cell's last snippet if it is an expression with a value
   * @throws CellException if a snippet does not compile or throws
   */
  public Optional<String> eval(String cell) {
    SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
    String remaining = cell;
    Optional<String> last = Optional.empty();
    while (!remaining.isBlank()) {
      CompletionInfo info = analysis.analyzeCompletion(remaining);
      if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
        break;
      }
      String source;
      if (info.completeness().isComplete() && info.source() != null) {
        source = info.source();
        remaining = info.remaining();
      } else {
        // Incomplete or unparseable: let JShell compile it all to report the error.
        source = remaining;
        remaining = "";
      }
      last = evalSnippet(source);
    }
    return last;
  }

  private Optional<String> evalSnippet(String source) {
    Optional<String> value = Optional.empty();
    for (SnippetEvent event : shell.eval(source)) {
      if (event.causeSnippet() != null) {
        continue; // a dependent snippet that was updated, not this one
      }
      Snippet snippet = event.snippet();
      if (event.exception() != null) {
        throw failure(snippet, event.exception());
      }
      switch (event.status()) {
        case REJECTED -> throw new CellException("does not compile:\n" + diagnostics(snippet));
        case RECOVERABLE_DEFINED, RECOVERABLE_NOT_DEFINED -> throw new CellException(
            "references undefined " + unresolved(snippet) + ":\n" + snippet.source().strip());
        default -> { }
      }
      if (isExpression(snippet) && event.value() != null) {
        value = Optional.of(event.value());
      }
    }
    return value;
  }

  private String unresolved(Snippet snippet) {
    return snippet instanceof DeclarationSnippet d
        ? shell.unresolvedDependencies(d).collect(Collectors.joining(", "))
        : "symbols";
  }

  private static boolean isExpression(Snippet snippet) {
    return snippet instanceof ExpressionSnippet
        || snippet instanceof VarSnippet
            && snippet.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
  }

  private CellException failure(Snippet snippet, JShellException e) {
    if (e instanceof UnresolvedReferenceException u) {
      return new CellException("calls " + u.getSnippet().source().strip()
          + ", which references something undefined", e);
    }
    String type = e instanceof EvalException ee ? ee.getExceptionClassName() : e.getClass()
        .getName();
    return new CellException(type + ": " + e.getMessage() + "\n  in: "
        + firstLine(snippet.source()), e);
  }

  private String diagnostics(Snippet snippet) {
    String src = snippet.source();
    Set<String> lines = new LinkedHashSet<>();
    shell.diagnostics(snippet).filter(Diag::isError).forEach(d -> {
      int pos = (int) Math.max(0, Math.min(d.getStartPosition(), src.length()));
      int lineStart = src.lastIndexOf('\n', pos - 1) + 1;
      int lineEnd = src.indexOf('\n', pos);
      String line = src.substring(lineStart, lineEnd < 0 ? src.length() : lineEnd);
      lines.add(d.getMessage(Locale.ROOT) + "\n    " + line + "\n    "
          + " ".repeat(Math.max(0, pos - lineStart)) + "^");
    });
    return lines.isEmpty() ? src : String.join("\n", lines);
  }

  private static String firstLine(String s) {
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl) + " ...";
  }

  /**
   * Whether {@code code} is ready to run: {@code "complete"}, {@code "invalid"}, or {@code ""}
   * (incomplete), as Jupyter's is_complete_request wants.
   */
  public String isComplete(String code) {
    SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
    String remaining = code;
    while (!remaining.isBlank()) {
      CompletionInfo info = analysis.analyzeCompletion(remaining);
      switch (info.completeness()) {
        case EMPTY -> {
          return "complete";
        }
        case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
          return "";
        }
        case UNKNOWN -> {
          return "invalid";
        }
        default -> remaining = info.remaining();
      }
    }
    return "complete";
  }

  /** Completions at {@code cursor}: the replacements and where they start. */
  public Completions complete(String code, int cursor) {
    int[] anchor = new int[1];
    List<String> options = new ArrayList<>(new LinkedHashSet<>(
        shell.sourceCodeAnalysis().completionSuggestions(code, cursor, anchor).stream()
            .map(SourceCodeAnalysis.Suggestion::continuation).toList()));
    return new Completions(options, anchor[0]);
  }

  /** Signatures and javadoc of what is at {@code cursor}, or empty. */
  public String documentation(String code, int cursor) {
    return shell.sourceCodeAnalysis().documentation(code, cursor, true).stream()
        .map(d -> d.signature() + (d.javadoc() == null ? "" : "\n" + d.javadoc()))
        .collect(Collectors.joining("\n\n"));
  }

  /** Stops the running cell (Jupyter's interrupt). */
  public void stop() {
    shell.stop();
  }

  @Override
  public void close() {
    shell.close();
  }

  /** Completion replacements starting at {@code start}. */
  public record Completions(List<String> options, int start) {}
}

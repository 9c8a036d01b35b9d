package io.github.dl4jsn.examples.translation;

import java.io.File;
import java.io.IOException;
import picocli.CommandLine;

/** A figure command's LABEL=FILE argument: the label and an existing file. */
record LabelledFile(String label, File file) {

  /**
   * Parses {@code arg} for {@code command}; {@code noun} names what a label stands for ("run"),
   * {@code kind} the file ("history"), both in the error messages.
   */
  static LabelledFile parse(Object command, String arg, String noun, String kind)
      throws IOException {
    int eq = arg.indexOf('=');
    if (eq < 1) {
      throw new CommandLine.ParameterException(new CommandLine(command), "a " + noun
          + " must be LABEL=" + kind.toUpperCase(java.util.Locale.ROOT) + ", got '" + arg + "'");
    }
    String label = arg.substring(0, eq);
    File file = new File(arg.substring(eq + 1));
    if (!file.isFile()) {
      throw new IOException(Character.toUpperCase(noun.charAt(0)) + noun.substring(1) + " "
          + label + ": no " + kind + " file " + file.getAbsolutePath());
    }
    return new LabelledFile(label, file);
  }
}

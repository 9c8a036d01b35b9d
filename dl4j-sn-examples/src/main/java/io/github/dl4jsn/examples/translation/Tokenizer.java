package io.github.dl4jsn.examples.translation;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The word tokenizer for both languages.
 *
 * <p>Rules, in order: Unicode NFC; typographic apostrophes (U+2019, U+02BC) become {@code '};
 * lower case (root locale); then tokens, left to right, are (1) a French elided article or
 * pronoun with its apostrophe ({@code l' d' j' m' n' s' t' c' qu' jusqu' lorsqu' puisqu'})
 * before a letter, (2) a word: letters and digits, with inner {@code - . _ + /} between letters
 * or digits kept inside ({@code x.org}, {@code utf-8}, {@code gtk+} keeps a trailing {@code +}),
 * (3) any other single non-space character ({@code , : ( ) « »}, a final dot). So "Scriptable
 * screen reader" gives [scriptable, screen, reader] and "lecteur d'écran" gives [lecteur, d',
 * écran]. Output is the tokens joined by single spaces; BLEU is computed on these tokens.
 */
public final class Tokenizer {

  private static final Pattern TOKEN = Pattern.compile(
      "(?:jusqu|lorsqu|puisqu|qu|(?<![\\p{L}\\p{N}])[cdjlmnst])'(?=\\p{L})"
          + "|[\\p{L}\\p{N}]+(?:[-._+/][\\p{L}\\p{N}]+)*\\+*"
          + "|\\S");

  private Tokenizer() {}

  /** The tokens of {@code text}, by the rules above. */
  public static List<String> tokenize(String text) {
    String s = Normalizer.normalize(text, Normalizer.Form.NFC)
        .replace('\u2019', '\'').replace('\u02bc', '\'').toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    Matcher m = TOKEN.matcher(s);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }
}

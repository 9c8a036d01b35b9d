/**
 * The sequence-to-sequence translation example (Sutskever et al. 2014) on Debian's English-French
 * package descriptions: data, tokenizer, vocabularies, model, decoding, BLEU and the CLI.
 */
package io.github.dl4jsn.examples.translation;
